from nuvera.cli import main

main()
