"""DynamoDB access for the single table, one module per item type (schools,
people, accounts, flows, challenges, logins, audit, imports, sweep) over
what they share (table). Keys are built in chiave.store.keys only; no
module outside this package imports botocore's errors or writes a
condition expression."""
