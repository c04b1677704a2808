"""One module per flow: plain functions over plain data and the store."""
