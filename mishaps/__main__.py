from mishaps.cli import main

main()
