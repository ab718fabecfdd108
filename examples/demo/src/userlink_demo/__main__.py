from userlink_demo.run import main

raise SystemExit(main())
