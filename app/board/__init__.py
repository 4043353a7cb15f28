"""The incident board: a framework-free web page at ``/board`` that talks only to ``/v1``.

The page is plain HTML, CSS and JavaScript modules shipped in the package (``static/``); no
build step, no Node at run time, no CDN, so a desk can run it offline.
"""
