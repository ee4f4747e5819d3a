"""`python -m bench`: the whole benchmark suite (bench/suite.py), what `make bench` runs.

`python -m bench webhooks [options]` (`make bench-webhooks`) runs the webhook delivery benchmark (bench/webhooks.py)
instead: a few minutes of its own, so not part of the suite.
"""

import sys

if sys.argv[1:2] == ["webhooks"]:
    from bench.webhooks import main as webhooks

    webhooks(sys.argv[2:])
else:
    from bench.suite import main

    main()
