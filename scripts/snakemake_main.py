"""Snakemake's own command line, as ``reelmake`` starts it, without the pause at its
end.

After each scheduling round Snakemake starts a timer that wakes its scheduler a
second later (its limit on jobs started per second). The interpreter waits for
the last of these timers before it exits, so every run that ran a job ended up to
a second after its work was done. Once Snakemake's main function has returned,
no scheduler is left to wake: the timers still waiting are cancelled and the
process exits at once, with Snakemake's exit status.
"""

import sys
import threading

from snakemake.cli import main

try:
    main(sys.argv[1:])
finally:
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
