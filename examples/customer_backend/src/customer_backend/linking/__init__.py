"""The calls to the userlink platform that hold the API key: auth codes, install links, and the
app secret handed to authenticated apps."""
