"""Steps shared by several flows and jobs: opening an e-mailed link,
reading one back, checking a login, checking an authenticator app's code,
writing a CSV an operator opens in a spreadsheet."""
