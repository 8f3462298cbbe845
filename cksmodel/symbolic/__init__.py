"""The symbolic engine: every request at once.

Stages, in the order data flows: the solver-free term language (``logic``), the request space
(``universe``) and string patterns (``strings``), policies to terms (``encode``, with
``matching`` for principals and resources and ``conditions`` for condition blocks), the one module
that imports Z3 (``solve``), models back to requests (``decode``), questions with replayed
counterexamples (``query``) and the Access Analyzer-style checks (``checks``); ``progress`` is
the hook through which they, the graph builders and the prover report how far they have got.
"""
