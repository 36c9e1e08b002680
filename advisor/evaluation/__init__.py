"""Evaluation: the eval items (``evalset``), retrieval and answer metrics (``metrics``), judges of faithfulness
(``judges``), evaluation runs and their comparison (``runs``), the HTML report (``report``) and the retrieval
benchmark against plain recipes (``bench``)."""
