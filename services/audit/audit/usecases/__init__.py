"""Audit use cases, one module per requirement (design.md §2), each function one command or event: it takes the
unit of work (``audit.repository.AuditUnitOfWork``) and only the collaborators it uses, reads, decides by the
rules of ``audit.domain``, and saves. None commits: the entrypoint does, so a trail entry, a check result, its
finding and the finding's outbox row are one transaction (design.md §4).

- :mod:`.trail`: the hash-chained trail of every lifecycle event, and the penalty summary it feeds (P9, C4);
- :mod:`.id_check`: the automatic ID check of every approved filing (P9), and :mod:`.findings` it raises;
- :mod:`.spot_checks`: monthly samples, phone checks and the monthly report (C1);
- :mod:`.inventories`: hosted-site inventories and the quarterly report (P10, C2);
- :mod:`.monitoring`: shell-site (空壳) monitoring: approved sites against the inventory (X5);
- :mod:`.statistics`: statistics, the bulletin and the penalty summary (C4);
- :mod:`.periods`: the months and quarters the reports are asked for, the instants events carry.
"""
