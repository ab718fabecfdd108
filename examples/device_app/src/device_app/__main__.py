from device_app.cli import main

main()
