"""Near-duplicate benchmark: pairwise precision and recall of pressroom's deduplication.

Run from the repository root (about 8 minutes on two cores; docs/defaults.md quotes its output)::

    .venv/bin/python -m benchmarks.near_duplicates
    .venv/bin/python -m benchmarks.near_duplicates --seeds 1 --no-sweep   # the defaults only

The labelled set is built at run time from the dev corpus (``../shared/dev-corpus/extraction``
next to the repository; nothing from it is stored here), once per seed of ``--seeds``, each
deterministic; the results of all seeds are pooled:

1. Every corpus page is read and extracted with the production code (``sources.read_file`` and
   ``process_document``). Pages that largely copy another corpus page (e.g. an archive.org
   capture of the same article) are kept once, so the corpus itself holds no unlabelled pairs.
2. ``--sources`` articles (at least 5 paragraphs and 150 words) get variants (``VARIANT_KINDS``),
   each made into HTML bytes and run through ``process_document`` again, so that differences in
   decoding and extraction count, not only edits of the text.
3. ``--issuers`` release series: short articles of one language given the same "about us" block
   in the same template (``ISSUER_KIND``), the classic false positive of press-release dedup.
4. A source article and its variants form a group; every other corpus page is a group of one
   (a distractor). True pairs: every pair inside a group. Predicted pairs: every pair of
   documents sharing a ``cluster_id`` after the pipeline's dedup stage on one chunk
   (``stages.dedup.Deduplicate``: MinHash clusters, then spun copies and paraphrases).
5. Before it, the pipeline's earlier stages (``pipeline.build_stages``): repeated inputs are
   dropped, recurring site boilerplate is removed and the texts are repaired (mojibake,
   Unicode, spun wording).

Hard negatives: release series, real pages of one site, articles placed into the same real or
synthetic template, and articles on similar subjects (TF-IDF cosine of their words); false
positives are broken down by these categories. Then: whether shuffling the input changes any
dedup field, a sweep of threshold x shingle size x permutations (``deduplicate``, the MinHash
step these settings belong to, with signatures cached), and LSH banding
(``DedupSettings.lsh_weights``) against an exhaustive comparison.

Modules: ``corpus`` (reading and extracting the corpus), ``templates`` (synthetic site
templates), ``variants`` (the variant pages), ``labelled`` (the labelled set), ``clustering``
(the pipeline's deduplication), ``scoring`` (scores and their breakdowns), ``sweep`` (the parameter
sweep, ranking and LSH comparison), ``report`` (printing), ``__main__`` (the command line).
"""
