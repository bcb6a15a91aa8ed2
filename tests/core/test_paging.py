"""GroupedRows: pages of a list whose rows come in counted groups."""

from django.core.paginator import Paginator

from evalprep.core.paging import GroupedRows

ROWS = [("a", n) for n in range(3)] + [("b", n) for n in range(5)] + [("c", n) for n in range(4)]


def _grouped() -> tuple[GroupedRows, list]:
    reads = []

    def read(groups, offset, limit):
        reads.append(groups)
        return [row for row in ROWS if row[0] in groups][offset:offset + limit]

    return GroupedRows([("a", 3), ("b", 5), ("c", 4)], read), reads


def test_it_pages_like_the_whole_list_reading_only_the_groups_a_page_spans():
    grouped, reads = _grouped()
    paginator = Paginator(grouped, 4)
    assert paginator.count == 12 and paginator.num_pages == 3
    pages = [list(paginator.page(number).object_list) for number in (1, 2, 3)]
    assert pages == [ROWS[0:4], ROWS[4:8], ROWS[8:12]]
    assert reads == [["a", "b"], ["b"], ["c"]]


def test_it_reads_nothing_for_an_empty_list():
    grouped = GroupedRows([], lambda groups, offset, limit: [("never", 0)])
    assert list(Paginator(grouped, 4).get_page(1).object_list) == []
