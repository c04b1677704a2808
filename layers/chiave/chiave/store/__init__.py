"""DynamoDB access for the single table, one module per item type (schools,
people, flows, challenges, logins) over what they share (table). Keys come
from chiave.keys only."""
