from xiaoneng.cli import main

main()
