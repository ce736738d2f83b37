"""`python -m exportctl`."""

from exportctl.cli.app import main

if __name__ == "__main__":
    main()
