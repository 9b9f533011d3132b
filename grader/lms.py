"""Submissions as an LMS hands them out, mapped to the canonical tree SUBMISSIONS/<student>/<ID>/.

`grader import canvas|moodle SOURCE -a ID --into SUBMISSIONS [--roster ROSTER.csv]`:

- Canvas's "Download Submissions" gives one flat folder (or zip) of files named
  `sortablename_[LATE_]userid_submissionid_filename`; a file a student uploaded again under
  the same name gets `-1`, `-2`... before its extension. Files of one student may be zips.
- Moodle's "Download all submissions" (in folders) gives a folder per student,
  `Full Name_participantid_assignsubmission_file_/`; without folders, the flat files
  `Full Name_participantid_assignsubmission_file_filename`.

The student id is the LMS login (Canvas's SIS Login ID, Moodle's ID number, else its
username or e-mail address) when the roster gives one, else the LMS's user id (Canvas) or
participant id (Moodle). Beside the files, `submission.json` records where they came from,
whether the LMS marked them late and when they were submitted (the newest file's time).
Nothing is written unless the whole source maps cleanly: the tree is built in a temporary
folder and moved into place at the end.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_UNPACKED_BYTES = 200 << 20        # one zip a student handed in, unpacked
MAX_MEMBERS = 2000
CANVAS = re.compile(r"^(?P<name>.*?)_(?P<late>LATE_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_(?P<kind>[a-z]+)_"
                    r"(?P<file>.*)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<suffix>(\.[^.]+)?)$")
SKIP = {"__MACOSX", ".DS_Store", "Thumbs.db"}


class ImportFailed(Exception):
    """The source cannot be imported as asked (one line); nothing was written."""


@dataclass
class Entry:
    """One student's files in the source, before they are written."""
    lms_id: str
    name: str
    files: dict[str, tuple[bytes, dt.datetime | None, int]] = field(default_factory=dict)
    late: bool = False
    submission_id: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading the source

def _members(source: Path) -> list[tuple[str, bytes, dt.datetime | None]]:
    """(relative path, bytes, time) of every file in a folder or a zip."""
    if source.is_dir():
        out = []
        for p in sorted(source.rglob("*")):
            if p.is_file() and not p.is_symlink() and not (set(p.relative_to(source).parts) & SKIP):
                t = dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc)
                out.append((p.relative_to(source).as_posix(), p.read_bytes(), t))
        return out
    if source.is_file():
        try:
            with zipfile.ZipFile(source) as z:
                return _zip_members(z, str(source.name))
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportFailed(f"{source}: not a readable zip ({exc})") from None
    raise ImportFailed(f"{source} does not exist")


def _safe_name(name: str) -> str | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    if set(path.parts) & SKIP:
        return None
    return path.as_posix()


def _zip_members(z: zipfile.ZipFile, where: str) -> list[tuple[str, bytes, dt.datetime | None]]:
    infos = [i for i in z.infolist() if not i.is_dir()]
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise ImportFailed(f"{where}: more than {MAX_MEMBERS} files or "
                           f"{MAX_UNPACKED_BYTES >> 20} MB unpacked")
    out = []
    for info in infos:
        name = _safe_name(info.filename)
        if name is None:
            continue
        try:
            when = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc)
        except ValueError:
            when = None
        out.append((name, z.read(info), when))
    return out


def _unpack_if_zip(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """A student's own zip, unpacked (its folders kept); any other file as it is."""
    if not name.lower().endswith(".zip"):
        return [(name, data)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(n, d) for n, d, _ in _zip_members(z, name)]
    except zipfile.BadZipFile:
        return [(name, data)]


def _attempt(name: str, taken: set[str]) -> tuple[str, int]:
    """("forward.py", 2) for Canvas's "forward-2.py" when a file of that name is expected or
    handed in beside it; a name that only looks so ("model-2.py" alone) stays as it is."""
    m = RESUBMITTED.match(name)
    if m and (m["stem"] + m["suffix"]) in taken:
        return m["stem"] + m["suffix"], int(m["n"])
    return name, 0


def _add(entry: Entry, name: str, data: bytes, when, attempt: int) -> None:
    for inner, content in _unpack_if_zip(name, data):
        current = entry.files.get(inner)
        if current is None or attempt >= current[2]:
            entry.files[inner] = (content, when, attempt)


def read_canvas(source: Path, expected: set[str]) -> tuple[dict[str, Entry], list[str]]:
    """Canvas's flat download: entries by Canvas user id, and the files it could not map."""
    members, unmapped = _members(source), []
    parsed = []
    for path, data, when in members:
        m = CANVAS.match(PurePosixPath(path).name)
        if m is None:
            unmapped.append(path)
            continue
        parsed.append((m, data, when))
    names = expected | {m["file"] for m, _, _ in parsed}
    entries: dict[str, Entry] = {}
    for m, data, when in parsed:
        entry = entries.setdefault(m["user"], Entry(m["user"], m["name"]))
        entry.late = entry.late or bool(m["late"])
        entry.submission_id = max(entry.submission_id or "", m["submission"], key=lambda s: (len(s), s))
        name, attempt = _attempt(m["file"], names)
        _add(entry, name, data, when, attempt)
    return entries, unmapped


def read_moodle(source: Path) -> tuple[dict[str, Entry], list[str]]:
    """Moodle's download, in folders per student or flat: entries by participant id."""
    entries: dict[str, Entry] = {}
    unmapped = []
    for path, data, when in _members(source):
        parts = PurePosixPath(path).parts
        for i, part in enumerate(parts):
            m = MOODLE.match(part)
            if m:
                break
        else:
            unmapped.append(path)
            continue
        if m["kind"] != "file":
            unmapped.append(path)           # online text, feedback files: not code
            continue
        rest = "/".join(parts[i + 1:]) if not m["file"] else "/".join((m["file"], *parts[i + 1:]))
        if not rest:
            unmapped.append(path)
            continue
        entry = entries.setdefault(m["participant"], Entry(m["participant"], m["name"]))
        _add(entry, rest, data, when, 0)
    return entries, unmapped


# ---------------------------------------------------------------- the roster

@dataclass
class Person:
    lms_id: str            # Canvas user id, Moodle participant id
    login: str             # what the student folder is named
    name: str = ""
    section: str = ""
    extra: dict = field(default_factory=dict)


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path}: cannot be read ({exc})") from None
    return list(csv.DictReader(io.StringIO(text)))


def read_roster(path: Path, lms: str) -> dict[str, Person]:
    """The LMS's own export of its students, by LMS id. Canvas: the gradebook export
    (Student, ID, SIS User ID, SIS Login ID, Section). Moodle: the grading worksheet
    (Identifier "Participant N", Full name, Email address[, ID number])."""
    rows = _read_csv(path)
    columns = set(rows[0]) if rows else set()
    people: dict[str, Person] = {}
    if lms == "canvas":
        need = {"Student", "ID", "SIS Login ID"}
        if not need <= columns:
            raise ImportFailed(f"{path}: not a Canvas gradebook export (needs the columns "
                               f"{', '.join(sorted(need))}; has {', '.join(sorted(columns)) or 'none'})")
        for row in rows:
            uid = (row.get("ID") or "").strip()
            if not uid.isdigit():
                continue                        # "Points Possible" and test students
            login = (row.get("SIS Login ID") or row.get("SIS User ID") or "").strip() or uid
            people[uid] = Person(uid, login, row.get("Student", "").strip(),
                                 row.get("Section", "").strip(),
                                 {"SIS User ID": (row.get("SIS User ID") or "").strip(),
                                  "SIS Login ID": (row.get("SIS Login ID") or "").strip()})
    else:
        need = {"Identifier", "Full name"}
        if not need <= columns or not ({"Email address", "ID number", "Username"} & columns):
            raise ImportFailed(f"{path}: not a Moodle grading worksheet (needs Identifier, "
                               "Full name and an Email address, ID number or Username column)")
        for row in rows:
            m = re.search(r"(\d+)\s*$", row.get("Identifier") or "")
            if not m:
                continue
            login = next((row[c].strip() for c in ("ID number", "Username", "Email address")
                          if (row.get(c) or "").strip()), m[1])
            people[m[1]] = Person(m[1], login, (row.get("Full name") or "").strip(), "",
                                  {c: (row.get(c) or "").strip() for c in
                                   ("Identifier", "Email address", "ID number") if c in row})
    logins: dict[str, str] = {}
    for p in people.values():
        if p.login in logins:
            raise ImportFailed(f"{path}: two students map to the id {p.login!r} (LMS ids "
                               f"{logins[p.login]} and {p.lms_id})")
        logins[p.login] = p.lms_id
    return people


# ---------------------------------------------------------------- writing the tree

@dataclass
class Mapped:
    student: str
    lms_id: str
    name: str
    files: list[str]
    late: bool


def import_submissions(lms: str, source: Path, assignment, into: Path,
                       roster: Path | None = None) -> tuple[list[Mapped], list[str]]:
    """Write INTO/<student>/<assignment.id>/ for every student of the download; returns what
    was mapped and what could not be. Raises ImportFailed (nothing written)."""
    from grader.submissions import student_name_problem

    if lms not in ("canvas", "moodle"):
        raise ImportFailed(f"unknown LMS {lms!r} (known: canvas, moodle)")
    source = Path(source)
    expected = {f"{m}.py" for m in assignment.modules} | {assignment.notebook or ""}
    if lms == "canvas":
        entries, unmapped = read_canvas(source, expected)
    else:
        entries, unmapped = read_moodle(source)
    if not entries:
        raise ImportFailed(f"{source}: no {lms.capitalize()} submission found (unknown layout: "
                           + ("Canvas names files name_userid_submissionid_file" if lms == "canvas"
                              else "Moodle names folders Full Name_id_assignsubmission_file_")
                           + ")")
    people = read_roster(roster, lms) if roster else {}
    mapped, students = [], {}
    for lms_id, entry in sorted(entries.items()):
        person = people.get(lms_id)
        student = person.login if person else lms_id
        if student_name_problem(student) or "/" in student or student in (".", ".."):
            raise ImportFailed(f"LMS id {lms_id}: {student!r} cannot be a folder name")
        if student in students:
            raise ImportFailed(f"two submissions map to the student {student!r} (LMS ids "
                               f"{students[student]} and {lms_id})")
        students[student] = lms_id
        if roster and person is None:
            unmapped.append(f"{entry.name} (LMS id {lms_id}): not in the roster; kept as {lms_id}")
        mapped.append((student, entry, person))
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=into))
    try:
        result = []
        for student, entry, person in mapped:
            folder = staging / student / assignment.id
            folder.mkdir(parents=True)
            times = []
            for name, (data, when, _) in sorted(entry.files.items()):
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                if when:
                    times.append(when)
            meta = {"lms": lms, "lms_id": entry.lms_id, "name": person.name if person else entry.name,
                    "submission_id": entry.submission_id, "late": entry.late,
                    "submitted_at": max(times).isoformat() if times else None,
                    "files": sorted(entry.files), "source": str(source)}
            (folder / "submission.json").write_text(json.dumps(meta, indent=2) + "\n")
            result.append(Mapped(student, entry.lms_id, meta["name"], sorted(entry.files), entry.late))
        for student, _, _ in mapped:            # all written: move into place
            target = into / student / assignment.id
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            (staging / student / assignment.id).rename(target)
        return result, unmapped
    finally:
        shutil.rmtree(staging, ignore_errors=True)
