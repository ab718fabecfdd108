"""userlink platform server."""
