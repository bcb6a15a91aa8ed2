import pytest

from evalprep.core.models import Role, VillagePost
from interviews.models import Outline, Respondent
from interviews.services import outline_load, respondents_assign
from tests.factories import make_user


def add_first_secretary(world, username: str = "first_secretary"):
    """A second village_cadre in V1, the 驻村第一书记 (the world has only the 村支书)."""
    user = make_user(username, role=Role.VILLAGE_CADRE, county=world.county, village=world.villages[0],
                     post=VillagePost.FIRST_SECRETARY)
    world.users[username] = user
    return user


def load_and_assign(world) -> None:
    outline_load(campaign=world.campaign)
    respondents_assign(campaign=world.campaign)


def sheet(world, outline_code: str, username: str) -> Respondent:
    return Respondent.objects.get(outline__campaign=world.campaign, outline__code=outline_code,
                                  user=world.users[username])


@pytest.fixture
def loaded(world):
    add_first_secretary(world)
    load_and_assign(world)
    return world


def outline(world, code: str) -> Outline:
    return Outline.objects.get(campaign=world.campaign, code=code)
