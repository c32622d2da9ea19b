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
# (zone, currency, segment)
REGIONS = [
    ("America/New_York", "USD", "na-east"),
    ("America/Chicago", "USD", "na-central"),
    ("America/Los_Angeles", "USD", "na-west"),
    ("America/New_York", "USD", "na-east"),
    ("Europe/London", "GBP", "emea"),
    ("Europe/Berlin", "EUR", "emea"),
    ("America/Denver", "USD", "na-west"),
    ("Asia/Tokyo", "USD", "apac"),
    ("Australia/Sydney", "USD", "apac"),
]
OWNERS = ["Riley Chen", "Jamie Alvarez", "Morgan Price", "Taylor Brooks"]
CHANNELS = ["email", "email", "email", "chat", "sms"]

def main() -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "name", "tier", "segment", "monthly_fee", "currency", "sla", "owner",
                "contact_name", "contact_email", "contact_phone", "preferred_channel", "time_zone"])
    for i in range(180):
        enterprise = i < 30
        tier = "enterprise" if enterprise else "growth"
        zone, currency, segment = REGIONS[i % len(REGIONS)]
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
                    f"{first.lower()}.{last.lower()}@{slug}.example", phone, channel, zone])

if __name__ == "__main__":
    main()
