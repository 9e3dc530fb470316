"""One filter AST for every API, and its three executions (Python, SQL, DynamoDB)."""
