"""Permission-matrix rows and objects for dossiers and briefing packs (#9); tests/test_permissions.py joins them."""

# Same columns and format as tests/test_permissions.MATRIX.
ROWS = [

]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix."""
    return {}
