from robustbench_tc.cli import main

raise SystemExit(main())
