#!/usr/bin/env python3
"""Writes N synthetic accounts as amends CSV to stdout (1 in 6 Enterprise, the rest Growth).

Usage: python3 bench/generate_accounts.py 1000000 > /tmp/accounts-1m.csv
"""
import sys

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
         "Asia/Tokyo", "Australia/Sydney"]
CURRENCIES = ["USD", "EUR", "GBP"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = sys.stdout
    out.write("id,name,tier,segment,monthly_fee,currency,sla,owner,contact_name,contact_email,"
              "contact_phone,preferred_channel,time_zone\n")
    for i in range(n):
        enterprise = i % 6 == 0
        fee = 8000 + (i * 1375) % 17000 if enterprise else 900 + (i * 173) % 2600
        tier = "enterprise" if enterprise else "growth"
        sla = "enterprise_9999" if i % 50 == 0 else ""
        out.write(f"acct-{i:07d},Company {i},{tier},,{fee}.00,{CURRENCIES[i % 3]},{sla},,"
                  f"Contact {i},ops{i}@example.com,,email,{ZONES[i % 6]}\n")


if __name__ == "__main__":
    main()
