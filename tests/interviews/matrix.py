"""Permission-matrix rows and objects for interviews (#8); tests/test_permissions.py joins them."""

# Same columns and format as tests/test_permissions.MATRIX.
ROWS = [
    ("interviews:landing",            "get",  None,            "302 200 200 200 200 200 200 200 200 200 200"),
]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix."""
    return {}
