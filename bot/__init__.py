"""narcowatch: watches news sources and alerts Telegram subscribers about the topics they follow."""

import os

# numpy's OpenBLAS starts a thread per core as it loads: a tenth of a second of CPU in every
# process that scores (each CLI run, each parse worker), for nothing, since the text model's
# arithmetic is a few small vectors (training 605 items took as long on one thread as on
# four). Set before any module imports numpy; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/narcowatch/narcowatch"
USER_AGENT = f"narcowatch/{__version__} (+{PROJECT_URL})"
