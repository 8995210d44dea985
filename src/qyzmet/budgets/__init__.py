"""Open budgets: budget programmes and their execution, published by agencies as Fiscal Data
Packages and shown per programme and year."""
