"""`python -m customer_backend`: serve with uvicorn, configured from `CUSTOMER_BACKEND_*`."""

from customer_backend.cli import main

main()
