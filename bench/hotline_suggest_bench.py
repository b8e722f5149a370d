"""Dispatch-suggestion latency of the 12345 hotline (issue 5 §3: target p99 <= 20 ms).

For each database (SQLite in a temporary file; PostgreSQL ``xiaoneng_bench_suggest`` on
``BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``, dropped and created here), a
child process migrates a fresh database and:

* builds a made-up history: 12 handling departments, a two-level category tree, ``--tickets``
  closed tickets (4,000 by default) each with its reply event, inserted in bulk (bench data,
  not the services), and 20 routing rules of which few match;
* trains the classifier through the real service, ``dispatch_model_train`` (timed);
* calls ``dispatch_suggestions`` ``--calls`` times (1,000 by default; after 50 warm-up calls)
  on fresh made-up texts with a category and a district, and times each call.

Baselines, in the same process on the same texts: one primary-key ORM fetch of a ticket
(``Ticket.objects.get(pk=…)``, the cheapest request a view makes) and the jieba segmentation
of the text alone. Ratio = suggestion / primary-key fetch, at p50 and at p99.

Usage: ``.venv/bin/python bench/hotline_suggest_bench.py [--tickets N] [--calls N]
[--backends sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_DB = os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_") + "suggest"
TICKETS = 4_000
CALLS = 1_000
WARMUP = 50
TARGET_P99_MS = 20.0
SEED = 2019

# What people say to each department: a few phrases each; 30 % of the made-up tickets also
# mention another department's matter, so the classifier has something to get wrong.
TOPICS: dict[str, list[str]] = {
    "城管": ["占道经营", "乱摆摊点", "违章搭建", "渣土车撒漏", "户外广告牌", "共享单车乱停"],
    "住建": ["物业服务", "维修基金", "电梯故障", "房屋漏水", "开发商延期交房", "业委会选举"],
    "生态环境": ["工厂排放废气", "河道污水", "夜间施工噪音", "异味刺鼻", "工地扬尘", "危废倾倒"],
    "市场监管": ["食品过期", "虚假宣传", "价格欺诈", "网购退款", "预付卡跑路", "缺斤短两"],
    "人社": ["拖欠工资", "社保缴费", "劳动合同", "工伤认定", "失业金领取", "加班费"],
    "交通运输": ["公交线路", "出租车拒载", "道路破损", "网约车", "公交站牌", "班车晚点"],
    "水务": ["停水", "水压低", "自来水浑浊", "管道爆裂", "污水井冒溢", "二次供水"],
    "教育": ["学校收费", "校外培训", "学位申请", "校车安全", "入学报名", "课后服务"],
    "卫健": ["医院收费", "医生态度", "疫苗接种", "诊所无证行医", "挂号难", "急诊等待"],
    "公安": ["户口迁移", "身份证办理", "居住证", "养犬登记", "治安隐患", "电动车被盗"],
    "民政": ["低保申请", "养老院", "残疾人补贴", "婚姻登记", "殡葬服务", "高龄津贴"],
    "供电": ["供电中断", "电压不稳", "电费异常", "电线老化", "路灯不亮", "充电桩安装"],
}
FILLER = [
    "市民反映",
    "来电人称",
    "希望尽快处理",
    "已经多次反映",
    "小区门口",
    "附近",
    "最近一周",
    "严重影响生活",
    "请相关部门核实",
    "人民路",
    "解放大道",
    "幸福小区",
    "每天晚上",
    "要求答复",
]
DISTRICTS = ["东城区", "西城区", "南湖区", "北山区"]


def made_up_text(rng: random.Random, topic: str) -> str:
    """One made-up request about ``topic`` (see ``TOPICS``)."""
    words = rng.sample(TOPICS[topic], k=rng.randint(1, 2))
    if rng.random() < 0.3:
        other = rng.choice([t for t in TOPICS if t != topic])
        words.append(rng.choice(TOPICS[other]))
    words += rng.sample(FILLER, k=rng.randint(2, 5))
    rng.shuffle(words)
    return "，".join(words) + "。"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _timings_ms(fn: Any, inputs: list[Any]) -> list[float]:
    out = []
    for item in inputs:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(values, 0.50), 4),
        "p99": round(_percentile(values, 0.99), 4),
        "mean": round(statistics.fmean(values), 4),
        "max": round(max(values), 4),
    }


# -- the child process: data, training, measurements -----------------------------------------


def _build(tickets: int) -> dict[str, Any]:
    """Departments, categories, closed tickets with reply events and rules, in bulk."""
    from django.utils import timezone

    from xiaoneng.accounts.models import Department
    from xiaoneng.hotline.models import RoutingRule, Ticket, TicketCategory, TicketEvent

    rng = random.Random(SEED)
    departments = {
        topic: Department.objects.create(code=f"B{i:02d}", name=f"{topic}局")
        for i, topic in enumerate(TOPICS)
    }
    categories: dict[str, list[TicketCategory]] = {}
    for i, topic in enumerate(TOPICS):
        top = TicketCategory.objects.create(code=f"C{i:02d}", name=f"{topic}事务")
        categories[topic] = [
            TicketCategory.objects.create(code=f"C{i:02d}{j}", name=f"{topic}{j}类", parent=top)
            for j in range(3)
        ]
    now = timezone.now()
    topics = list(TOPICS)
    weights = [1 + i % 4 for i in range(len(topics))]
    rows = []
    for n in range(tickets):
        topic = rng.choices(topics, weights)[0]
        rows.append(
            Ticket(
                number=f"GD20250101{n:05d}",
                channel="phone",
                ticket_type="complaint",
                category=rng.choice(categories[topic]) if rng.random() < 0.7 else None,
                district=rng.choice(DISTRICTS),
                description=made_up_text(rng, topic),
                status="closed",
                department=departments[topic],
                reply="已处理",
                satisfaction=5,
                created_at=now,
                closed_at=now,
                query_code=f"{n % 1_000_000:06d}",
            )
        )
    Ticket.objects.bulk_create(rows, batch_size=1000)
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket_id=pk, action="reply", from_status="accepted", to_status="replied")
            for pk in ids
        ],
        batch_size=1000,
    )
    # Rules an operator might keep: narrow keyword rules, two district rules, category rules.
    rules = []
    for i, topic in enumerate(topics):
        rules.append(
            RoutingRule(
                position=10 * (i + 1),
                name=f"{topic}关键词",
                keywords=f"{topic}专项 {topic}整治",
                department=departments[topic],
            )
        )
    for i, topic in enumerate(topics[:6]):
        rules.append(
            RoutingRule(
                position=500 + i,
                name=f"{topic}分类",
                category=categories[topic][0],
                district=DISTRICTS[i % len(DISTRICTS)],
                department=departments[topic],
            )
        )
    rules.append(
        RoutingRule(
            position=900,
            name="北山供电",
            district="北山区",
            keywords="停电",
            department=departments["供电"],
        )
    )
    rules.append(
        RoutingRule(
            position=901,
            name="南湖水务",
            district="南湖区",
            keywords="停水",
            department=departments["水务"],
        )
    )
    RoutingRule.objects.bulk_create(rules)
    return {
        "departments": len(departments),
        "categories": TicketCategory.objects.count(),
        "tickets": len(ids),
        "rules": len(rules),
        "ticket_ids": ids,
        "categories_by_topic": {t: [c.pk for c in cs] for t, cs in categories.items()},
        "departments_by_topic": {t: d.pk for t, d in departments.items()},
    }


def inner(*, tickets: int, calls: int) -> dict[str, Any]:
    """Build, train and measure in a process whose DATABASE_URL is the bench database."""
    import django

    django.setup()
    from django.db import connection

    from xiaoneng.hotline import classifier
    from xiaoneng.hotline.models import Ticket, TicketCategory
    from xiaoneng.hotline.selectors.routing import dispatch_suggestions
    from xiaoneng.hotline.services.routing import dispatch_model_train

    started = time.perf_counter()
    built = _build(tickets)
    build_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    started = time.perf_counter()
    model = dispatch_model_train(actor=None)
    train_s = time.perf_counter() - started

    rng = random.Random(SEED + 1)
    categories = TicketCategory.objects.in_bulk()
    topics = list(TOPICS)
    queries = []
    for _ in range(calls + WARMUP):
        topic = rng.choice(topics)
        category_id = rng.choice(built["categories_by_topic"][topic])
        queries.append(
            (
                made_up_text(rng, topic),
                categories[category_id] if rng.random() < 0.7 else None,
                rng.choice(DISTRICTS),
                topic,
            )
        )

    def suggest(query: Any) -> Any:
        text, category, district, _topic = query
        return dispatch_suggestions(description=text, category=category, district=district)

    # Warm-up: the first call unpickles the model and fills the caches of both libraries.
    for query in queries[:WARMUP]:
        suggest(query)
    measured = queries[WARMUP:]
    suggestion_ms = _timings_ms(suggest, measured)

    departments = built["departments_by_topic"]
    # How often the first suggestion is the department the text was made up for.
    right = 0
    for text, category, district, topic in measured:
        got = dispatch_suggestions(description=text, category=category, district=district)
        right += bool(got) and got[0].department.pk == departments[topic]

    ids = built["ticket_ids"]
    pk_rng = random.Random(SEED + 2)
    pks = [pk_rng.choice(ids) for _ in measured]
    pk_ms = _timings_ms(lambda pk: Ticket.objects.get(pk=pk), pks)
    jieba_ms = _timings_ms(lambda q: classifier.segment(q[0]), measured)
    return {
        "database": connection.vendor,
        "built": {
            k: v for k, v in built.items() if k in {"departments", "categories", "tickets", "rules"}
        },
        "build_s": round(build_s, 2),
        "train_s": round(train_s, 2),
        "model": {
            "train_size": model.train_size,
            "test_size": model.test_size,
            "accuracy": round(model.accuracy, 4),
            "top3_accuracy": round(model.top3_accuracy, 4),
        },
        "calls": len(measured),
        "first_suggestion_right": round(right / len(measured), 4),
        "suggestion_ms": _summary(suggestion_ms),
        "pk_fetch_ms": _summary(pk_ms),
        "jieba_ms": _summary(jieba_ms),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# -- the outer process -----------------------------------------------------------------------


def _child_env(database_url: str, var: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "XIAONENG_VAR": var,
        "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
    }


def _measure(database_url: str, *, tickets: int, calls: int) -> dict[str, Any]:
    var = tempfile.mkdtemp(prefix="xiaoneng-bench-suggest-")
    env = _child_env(database_url, var)
    try:
        subprocess.run(
            [sys.executable, "-m", "xiaoneng", "migrate", "-v", "0"], env=env, check=True
        )
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--inner",
                "--tickets",
                str(tickets),
                "--calls",
                str(calls),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(var, ignore_errors=True)


def _sqlite(*, tickets: int, calls: int) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="xiaoneng-bench-suggest-db-")
    try:
        return _measure(f"sqlite:///{folder}/bench.sqlite3", tickets=tickets, calls=calls)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _postgresql(*, tickets: int, calls: int) -> dict[str, Any]:
    import psycopg

    dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    admin = psycopg.connect(f"{dsn}/postgres", autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {PG_DB}")
        return _measure(f"{dsn}/{PG_DB}", tickets=tickets, calls=calls)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.close()


def _figures(data: dict[str, Any]) -> list[dict[str, Any]]:
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(data["database"], data["database"])
    suggestion, pk = data["suggestion_ms"], data["pk_fetch_ms"]
    return [
        {
            "name": f"dispatch_suggestions p99, {data['calls']:,} calls ({label})",
            "value": suggestion["p99"],
            "unit": "ms",
            "baseline": pk["p99"],
            "ratio": round(suggestion["p99"] / pk["p99"], 1) if pk["p99"] else None,
            "target": f"<= {TARGET_P99_MS:g} ms",
            "meets_target": suggestion["p99"] <= TARGET_P99_MS,
        },
        {
            "name": f"dispatch_suggestions p50 ({label})",
            "value": suggestion["p50"],
            "unit": "ms",
            "baseline": pk["p50"],
            "ratio": round(suggestion["p50"] / pk["p50"], 1) if pk["p50"] else None,
            "target": None,
            "meets_target": None,
        },
        {
            "name": f"jieba segmentation of the same text alone, p50 ({label})",
            "value": data["jieba_ms"]["p50"],
            "unit": "ms",
            "baseline": None,
            "ratio": None,
            "target": None,
            "meets_target": None,
        },
        {
            "name": (
                f"train on {data['model']['train_size'] + data['model']['test_size']:,} closed "
                f"tickets, held-out accuracy {data['model']['accuracy']:.3f} ({label})"
            ),
            "value": data["train_s"],
            "unit": "s",
            "baseline": None,
            "ratio": None,
            "target": None,
            "meets_target": None,
        },
    ]


def run(
    *,
    tickets: int = TICKETS,
    calls: int = CALLS,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    scale: int = 1,
) -> dict[str, Any]:
    """Measure on each database; figures for bench/run.py. ``scale`` multiplies the tickets."""
    tickets *= scale
    details = []
    for backend in backends:
        measure = _sqlite if backend == "sqlite" else _postgresql
        details.append(measure(tickets=tickets, calls=calls))
    figures = [figure for data in details for figure in _figures(data)]
    return {
        "name": "hotline_suggest",
        "baseline": "one primary-key ORM fetch of a ticket (Ticket.objects.get(pk=…)), same run",
        "notes": (
            f"{tickets:,} made-up closed tickets of {len(TOPICS)} departments; "
            f"{calls:,} timed calls after {WARMUP} warm-up calls; "
            + "; ".join(
                f"{d['database']}: first suggestion right {d['first_suggestion_right']:.1%}, "
                f"held-out accuracy {d['model']['accuracy']:.3f}, "
                f"top-3 {d['model']['top3_accuracy']:.3f}"
                for d in details
            )
        ),
        "figures": figures,
        "details": details,
    }


def write_results(result: dict[str, Any]) -> None:
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "hotline_suggest.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=TICKETS, help="closed tickets to train on")
    parser.add_argument("--calls", type=int, default=CALLS, help="timed suggestion calls")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma list: sqlite, postgresql"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        print(json.dumps(inner(tickets=args.tickets, calls=args.calls)))
        return 0
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    result = run(tickets=args.tickets, calls=args.calls, backends=backends)
    write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
