#!/usr/bin/env python3
"""Writes demo/accounts.csv: the 180 Enterprise and Growth companies of the worked example.

Deterministic (no randomness), so the committed file, the demo and its snapshots agree.
Run: python3 demo/generate_accounts.py > demo/accounts.csv
"""
import csv
import sys

PREFIXES = ["North", "Blue", "Silver", "Bright", "Red", "Green", "Iron", "Clear", "Cedar",
            "Summit", "Harbor", "Pine", "Granite", "Atlas", "Orbit", "Lumen", "Vector", "Quarry"]
SUFFIXES = ["wind Analytics", "field Logistics", "stone Health", "path Retail", "line Media",
            "bridge Finance", "works Labs", "gate Energy", "peak Travel", "wave Foods"]
FIRST = ["Alex", "Maria", "Kenji", "Fatima", "Liam", "Sofia", "Noah", "Chen", "Amara", "Lucas",
         "Ingrid", "Rafael", "Yuki", "Omar", "Clara"]
LAST = ["Nguyen", "Schmidt", "Tanaka", "Haddad", "Murphy", "Rossi", "Kowalski", "Okafor",
        "Silva", "Larsen", "Dubois", "Patel", "Moreau", "Berg", "Costa"]
# (zone, currency, segment, locale): the locale sets how money and dates are written for the
# contact (the messages are in English; the Berlin office reads English with euro conventions).
REGIONS = [
    ("America/New_York", "USD", "na-east", "en-US"),
    ("America/Chicago", "USD", "na-central", "en-US"),
    ("America/Los_Angeles", "USD", "na-west", "en-US"),
    ("America/New_York", "USD", "na-east", "en-US"),
    ("Europe/London", "GBP", "emea", "en-GB"),
    ("Europe/Berlin", "EUR", "emea", "en-IE"),
    ("America/Denver", "USD", "na-west", "en-US"),
    ("Asia/Tokyo", "USD", "apac", "en-US"),
    ("Australia/Sydney", "USD", "apac", "en-AU"),
]
OWNERS = ["Riley Chen", "Jamie Alvarez", "Morgan Price", "Taylor Brooks"]
CHANNELS = ["email", "email", "email", "chat", "sms"]

def main() -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "name", "tier", "segment", "monthly_fee", "currency", "sla", "owner",
                "contact_name", "contact_email", "contact_phone", "preferred_channel", "time_zone", "locale"])
    for i in range(180):
        enterprise = i < 30
        tier = "enterprise" if enterprise else "growth"
        zone, currency, segment, locale = REGIONS[i % len(REGIONS)]
        name = f"{PREFIXES[i % len(PREFIXES)]}{SUFFIXES[(i // len(PREFIXES)) % len(SUFFIXES)]}"
        if enterprise:
            fee = 8000 + (i * 1375) % 17000
        else:
            fee = 900 + (i * 173) % 2600
        # The two Enterprise customers of the seed who asked for contract credits.
        sla = {0: "enterprise_9999", 1: "enterprise_999"}.get(i, "")
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        slug = name.lower().replace(" ", "")
        channel = CHANNELS[i % len(CHANNELS)]
        phone = f"+1555{i:07d}"
        w.writerow([f"acct-{i + 1:04d}", name, tier, segment, f"{fee}.00", currency, sla,
                    OWNERS[i % len(OWNERS)], f"{first} {last}",
                    f"{first.lower()}.{last.lower()}@{slug}.example", phone, channel, zone, locale])

if __name__ == "__main__":
    main()
