#!/usr/bin/env python3
"""Synthetic Markdown documents for bench/documents.sh, as PostgreSQL COPY text.

Each line: id, owner_id, last_editor_id (= owner), title, content, created_at, updated_at
(tab-separated, COPY text format).
Words are drawn from a Zipf distribution (s = 1.0) over an embedded English vocabulary
(stop words first, so to_tsvector drops the most frequent ones as it would in real text),
plus 20 rare terms (each in about 0.1-0.2 % of documents) for the "rare word" queries.

  gen_docs.py --owners owners.txt --out docs.tsv --seed 1 [--part 0 --parts 2]

owners.txt: "<uuid> <count>" per line; documents are assigned to owners in that order.
Deterministic for a given seed; --part/--parts split the work across processes.
"""
import argparse
import datetime as dt
import itertools
import random
import uuid

STOP = """the of and to a in is that for it as with was on be by this are or at from
have an but not which we you they their has can will all there more if one been would so
were about when what our also into no other than some its only then them these our may""".split()

WORDS = """project team document meeting budget design review plan release customer data
service report system update feature issue user version process product quality security
performance support network server database cache query index schedule deadline goal
strategy market sales revenue cost estimate risk owner manager engineer developer test
build deploy migration backup storage cluster node latency throughput request response
error failure incident outage monitor alert metric dashboard log trace config setting
policy access permission role account login session token password key certificate
draft final summary agenda action item note decision question answer proposal feedback
research analysis result finding experiment hypothesis sample survey interview insight
roadmap quarter milestone sprint backlog story task ticket priority estimate velocity
contract vendor partner invoice payment price discount order shipment inventory warehouse
office remote travel hiring onboarding training handbook guideline checklist template
workflow approval request compliance audit legal privacy regulation standard framework
library module function method class object interface protocol endpoint client library
browser mobile desktop application platform integration webhook event queue stream batch
pipeline job worker thread memory disk cpu container image kubernetes terraform script
python rust javascript typescript golang java sql markdown json yaml html css shell
chapter section paragraph heading list table figure diagram chart slide presentation
marketing brand campaign audience content channel launch press announcement newsletter
finance payroll tax accounting forecast spreadsheet ledger balance expense reimbursement
design mockup prototype wireframe layout color font icon component accessibility mobile
weekly monthly annual daily morning afternoon evening tomorrow yesterday today week
improve reduce increase measure analyze prepare discuss agree confirm share review update
create delete remove replace rename merge split move copy export import publish archive
new old large small fast slow simple complex important urgent optional required current
next previous first last main primary secondary internal external public private shared
good better best clear open closed pending blocked done ready stable experimental legacy
north south east west region country city europe america asia africa ocean mountain river
coffee lunch dinner breakfast garden kitchen window door building room floor street car
music film book article story poem novel history science physics chemistry biology
energy solar wind battery electric water carbon climate weather forecast temperature
health medical patient doctor hospital clinic insurance pharmacy treatment therapy
student teacher school university course lecture exam grade homework classroom campus
game player score level match tournament season coach league stadium ticket fan
photo camera video audio podcast episode studio editor recording microphone speaker
kernel compiler parser lexer syntax grammar token buffer pointer allocation garbage
collector runtime scheduler executor future promise callback closure iterator generator
matrix vector tensor gradient model training inference dataset label accuracy loss
search ranking relevance snippet highlight phrase stemming dictionary vocabulary corpus
collaboration editing cursor selection conflict transform operation history revision
comment mention notification reply thread reaction emoji attachment upload download
""".split()

RARE = """zirconium quetzal xylophone marzipan obsidian kumquat narwhal pangolin
tessellation sesquipedalian defenestration petrichor borborygmus ultramarine
juxtaposition lugubrious mellifluous quixotic serendipity vellichor""".split()

VOCAB = list(dict.fromkeys(STOP + WORDS))
CUM = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(VOCAB))))
EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def words(rng, n):
    return rng.choices(VOCAB, cum_weights=CUM, k=n)


def sentence(rng):
    w = words(rng, rng.randint(6, 18))
    if rng.random() < 0.001:
        w[rng.randrange(len(w))] = rng.choice(RARE)
    return " ".join(w).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def code_block(rng):
    lang = rng.choice(["rust", "python", "sql", "sh", "json"])
    lines = []
    for _ in range(rng.randint(3, 10)):
        a, b, c = words(rng, 3)
        lines.append(rng.choice([
            f"let {a}_{b} = {c}({a}, {b});",
            f"def {a}_{b}({c}): return {c}.{a}",
            f"SELECT {a}, {b} FROM {c} WHERE {a} = 1;",
            f"{a} --{b} {c}",
            f'"{a}": "{b} {c}",',
        ]))
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def bullets(rng):
    mark = rng.choice(["-", "*", "1."])
    return "\n".join(f"{mark} " + " ".join(words(rng, rng.randint(3, 9)))
                     for _ in range(rng.randint(3, 8)))


def document(rng):
    target = rng.randint(1000, 5000)
    title = " ".join(words(rng, rng.randint(2, 6))).title()
    parts = [f"# {title}"]
    size = len(parts[0])
    while size < target:
        kind = rng.random()
        if kind < 0.15:
            block = "## " + " ".join(words(rng, rng.randint(2, 5))).capitalize()
        elif kind < 0.60:
            block = paragraph(rng)
        elif kind < 0.85:
            block = bullets(rng)
        else:
            block = code_block(rng)
        parts.append(block)
        size += len(block) + 2
    return title, "\n\n".join(parts)


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--part", type=int, default=0)
    ap.add_argument("--parts", type=int, default=1)
    a = ap.parse_args()
    owners = []
    with open(a.owners) as f:
        for line in f:
            uid, count = line.split()
            owners += [uid] * int(count)
    with open(a.out, "w") as out:
        for i, owner in enumerate(owners):
            if i % a.parts != a.part:
                continue
            rng = random.Random(a.seed * 1_000_003 + i)
            title, content = document(rng)
            created = EPOCH + dt.timedelta(seconds=rng.randint(0, 300 * 86400))
            updated = created + dt.timedelta(seconds=rng.randint(0, 60 * 86400))
            doc_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            out.write(f"{doc_id}\t{owner}\t{owner}\t{esc(title)}\t{esc(content)}\t"
                      f"{created.isoformat()}\t{updated.isoformat()}\n")


if __name__ == "__main__":
    main()
