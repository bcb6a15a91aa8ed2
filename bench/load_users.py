"""The county's staff as locust users, for bench/load.py (which starts locust on this file).

Every user logs in with the demo password and then works its own scope with
a think time between pages, as the last week before an inspection looks:
village cadres browse their roster and households and import a roster file,
township staff and the bureau read the wider lists, department staff open
their tasks and upload files, leaders read the dashboards and each asks for
one village dossier, which they then follow until it is built. A baseline
user requests the trivial view (/healthz/) throughout.

The plan (who logs in as whom, with which IDs and files) comes from the JSON
file in LOAD_PLAN; LOAD_MAX_REQUESTS stops the run after that many requests.
The figures count from LOAD_SETTLE seconds after the last user has logged in:
logging in hashes the password (PBKDF2, a deliberate half second of CPU), and
a county's staff log in over a morning, not all within a few minutes.
Request names are the page names bench/load.py prints. Each request is timed on
its own, as a browser makes it: a form's POST up to its redirect, then the page
it leads to under that page's name.
"""

import itertools
import json
import os
import random
import re
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))
SETTLE = float(os.environ.get("LOAD_SETTLE", "30"))
LOGIN = "登录（口令校验）"
BASELINE = "基准：/healthz/"
JOB_ID = re.compile(r"/jobs/(\d+)/")
_requests = itertools.count(1)
_accounts = {kind: itertools.cycle(PLAN[kind]) for kind in ("cadres", "townships", "departments", "leaders", "bureau")}


@events.init.add_listener
def _measure(environment, **kwargs) -> None:
    """Counts from LOAD_SETTLE seconds after the last user has logged in; stops at the request cap."""
    @environment.events.spawning_complete.add_listener
    def settle(**kwargs) -> None:
        gevent.spawn_later(SETTLE, environment.runner.stats.reset_all)

    @environment.events.request.add_listener
    def count(**kwargs) -> None:
        if MAX_REQUESTS and next(_requests) == MAX_REQUESTS:
            environment.runner.quit()


class _Staff(HttpUser):
    abstract = True
    wait_time = between(10, 30)
    kind = ""

    def on_start(self) -> None:
        self.account = next(_accounts[self.kind])
        self.client.get("/login/", name="登录页")
        self.post("/login/", LOGIN, data={"username": self.account["username"], "password": PLAN["password"]})

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    def post(self, url: str, name: str, **kwargs):
        """A form's POST, which must answer with a redirect (else it counts as an error). The caller asks
        for the page it leads to as a browser would: each request is timed on its own, under its page's name."""
        with self.client.post(
            url, name=name, headers=self._csrf(), allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 302:
                response.failure(f"{name}没有跳转：{response.status_code}")
        return response


class VillageCadre(_Staff):
    """村干部: the roster, households, the village's board and checklist, a roster import."""
    weight = 60
    kind = "cadres"

    @task(6)
    def roster(self) -> None:
        self.client.get("/households/", name="花名册")

    @task(3)
    def roster_search(self) -> None:
        self.client.get(f"/households/?q={random.choice(self.account['household_numbers'])}", name="花名册查询")

    @task(8)
    def household(self) -> None:
        pk = random.choice(self.account["household_ids"])
        self.client.get(f"/households/{pk}/", name="农户详情")
        # The change list, which the page fetches once it scrolls into view: here, always.
        self.client.get(f"/households/{pk}/history/", name="农户修改记录", headers={"HX-Request": "true"})

    @task(2)
    def household_edit_form(self) -> None:
        self.client.get(f"/households/{random.choice(self.account['household_ids'])}/edit/", name="农户编辑页")

    @task(3)
    def village_board(self) -> None:
        self.client.get(f"/tasks/villages/{self.account['village_id']}/", name="村工作台")

    @task(2)
    def checklist(self) -> None:
        self.client.get("/indicators/", name="佐证清单")

    @task(2)
    def screening(self) -> None:
        self.client.get("/households/screening/", name="筛查工作表")

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="首页")

    @task(1)
    def roster_import(self) -> None:
        self.client.get("/households/import/", name="导入页")
        path = Path(self.account["roster_file"])
        with path.open("rb") as handle:
            response = self.post(
                "/households/import/", "导入预览（上传花名册）",
                data={"village": self.account["village_id"], "income_year": PLAN["income_year"]},
                files={"file": (path.name, handle, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
            )
        if response.status_code != 302:
            return
        detail = response.headers["Location"]
        self.client.get(detail, name="导入预览结果")
        self.post(f"{detail}apply/", "导入应用", data={"accept_valid": "1"})
        self.client.get(detail, name="导入结果")


class TownshipStaff(_Staff):
    """乡镇: the township's roster (a quarter of the county), screening and boards."""
    weight = 6
    kind = "townships"

    @task(4)
    def roster(self) -> None:
        self.client.get(f"/households/?page={random.randint(1, 50)}", name="花名册（乡镇）")

    @task(2)
    def screening(self) -> None:
        self.client.get("/households/screening/", name="筛查工作表（乡镇）")

    @task(2)
    def assignments(self) -> None:
        self.client.get("/tasks/", name="任务列表")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="首页")


class DepartmentStaff(_Staff):
    """部门经办人: tasks, an assignment, uploading files to it."""
    weight = 20
    kind = "departments"

    @task(4)
    def assignments(self) -> None:
        self.client.get("/tasks/", name="任务列表")

    @task(4)
    def assignment(self) -> None:
        self.client.get(f"/tasks/assignments/{random.choice(self.account['assignment_ids'])}/", name="任务详情")

    @task(2)
    def upload(self) -> None:
        pk = random.choice(self.account["assignment_ids"])
        content = f"{self.account['username']} 上传的工作台账 {random.random()}".encode()
        self.post(
            f"/tasks/assignments/{pk}/files/", "上传任务材料",
            files={"files": ("工作台账.txt", content, "text/plain")},
        )
        self.client.get(f"/tasks/assignments/{pk}/", name="任务详情")

    @task(2)
    def checklist(self) -> None:
        self.client.get("/indicators/", name="佐证清单")

    @task(1)
    def notifications(self) -> None:
        self.client.get("/tasks/notifications/", name="消息")


class Leader(_Staff):
    """领导: the dashboards; each asks for one village dossier and follows it."""
    weight = 4
    kind = "leaders"

    def on_start(self) -> None:
        super().on_start()
        self.dossier = PLAN["dossier_villages"].pop() if PLAN["dossier_villages"] else None

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/jobs/dashboard/", name="领导看板")

    @task(2)
    def readiness(self) -> None:
        self.client.get("/indicators/readiness/", name="迎评准备度")

    @task(2)
    def board(self) -> None:
        self.client.get("/tasks/board/", name="任务看板")

    @task(1)
    def findings(self) -> None:
        self.client.get("/tasks/findings/overview/", name="问题整改总览")

    @task(2)
    def dossier(self) -> None:
        if self.dossier is None:
            return
        if isinstance(self.dossier, int):
            response = self.post(
                f"/jobs/dossiers/village/{self.dossier}/build/", "申请村级资料",
                data={"builder": "village_dossier", "format": "pdf"},
            )
            match = JOB_ID.search(response.headers.get("Location", ""))
            if match is None:
                self.dossier = None
                return
            self.dossier = f"/jobs/{match.group(1)}/progress/"
        self.client.get(self.dossier, name="资料生成进度")


class Bureau(_Staff):
    """乡村振兴局: the county roster, the national-system hits, the sign-off picture."""
    weight = 4
    kind = "bureau"

    @task(3)
    def roster(self) -> None:
        self.client.get(f"/households/?page={random.randint(1, 200)}", name="花名册（全县）")

    @task(2)
    def national_hits(self) -> None:
        self.client.get("/households/national/hits/", name="疑点数据")

    @task(2)
    def discrepancies(self) -> None:
        self.client.get("/households/national/discrepancies/", name="账机差异")

    @task(2)
    def board(self) -> None:
        self.client.get("/tasks/board/", name="任务看板")

    @task(1)
    def audit(self) -> None:
        self.client.get("/org/audit/", name="操作日志")


class Baseline(HttpUser):
    """The trivial view, in the same gunicorn, under the same load."""
    fixed_count = 4
    wait_time = between(1, 2)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz/", name=BASELINE)
