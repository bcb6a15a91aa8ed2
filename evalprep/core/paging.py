"""Paging a long list whose rows come in groups already counted.

A county-wide list (tens of thousands of screening flags or suspect-data hits)
sorted over joined columns costs PostgreSQL a sort of every row for every
page, and the paginator's COUNT another scan. When the page already has the
number of rows per group (one grouped query that it needs anyway for its
per-rule buttons), the total is their sum and a page only has to read the
groups it spans.
"""

from collections.abc import Callable, Hashable, Sequence

Reader = Callable[[list[Hashable], int, int], list]


class GroupedRows:
    """Rows in group order, for django.core.paginator.Paginator.

    ``counts`` are (group, number of rows) in the order the list shows the
    groups; ``read(groups, offset, limit)`` returns rows ``offset`` to
    ``offset + limit`` of those groups, in list order.
    """

    def __init__(self, counts: Sequence[tuple[Hashable, int]], read: Reader) -> None:
        self.counts, self.read = counts, read

    def __len__(self) -> int:
        return sum(n for _, n in self.counts)

    def __getitem__(self, page: slice) -> list:
        start, stop, _ = page.indices(len(self))
        spanned, before, seen = [], 0, 0  # the groups the page spans; rows of the groups before them
        for group, n in self.counts:
            if seen + n <= start:
                before += n
            elif seen < stop:
                spanned.append(group)
            seen += n
        return self.read(spanned, start - before, stop - start) if spanned else []
