"""Corpus discovery: every layout, auto-detection, label harmonisation, hostile trees, manifest errors.

Discovery never opens audio, so the fake corpora here are empty files with the right names.
The real corpora (../shared/corpora) are used when present and skipped with a reason otherwise.
"""
from __future__ import annotations

import os
import pickle
from collections import Counter
from pathlib import Path

import pytest

from corpora import (
    AUDIO_EXTENSIONS,
    FORMATS,
    HARMONISED_LABELS,
    Discovery,
    Utterance,
    discover,
    harmonise,
)
from corpora.formats import FILENAME_PARSERS, parse_emodb
from emovox.errors import CorpusError, EmovoxError, UsageError

REAL_CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


# --- helpers ------------------------------------------------------------------------------------
def touch(root: Path, *rels: str) -> None:
    """Create empty files (and their folders) at the given posix paths below root."""
    for rel in rels:
        path = root.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def by_id(d: Discovery) -> dict[str, Utterance]:
    return {u.id: u for u in d.utterances}


def skipped_names(d: Discovery) -> set[str]:
    return {os.path.basename(p) for p, _ in d.skipped}


def make_emodb(root: Path) -> Path:
    touch(root, "wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/08b02Lb.wav", "wav/09a05Ec.wav",
          "wav/10b09Aa.wav", "wav/13a07Td.wav", "wav/16b10Nb.wav", "wav/14a04Wc.wav",
          "wav/11a02Fa.wav", "wav/12b01Nd.wav", "wav/15a04Wa.wav")
    return root


def make_ravdess(root: Path) -> Path:
    names = []
    for emotion in range(1, 9):  # every emotion, alternating actors / containers / speech and song
        actor = emotion + 4
        channel = "02" if emotion in (2, 3) else "01"
        ext = "wav" if emotion % 2 else "flac"
        names.append(f"Actor_{actor:02d}/03-{channel}-{emotion:02d}-01-01-01-{actor:02d}.{ext}")
    names.append("03-01-05-02-02-02-12.wav")  # no Actor_ folder: optional
    touch(root, *names)
    return root


def make_cremad(root: Path, demographics: bool = True) -> Path:
    touch(root, "AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_IEO_HAP_LO.wav", "AudioWAV/1002_TIE_SAD_HI.wav",
          "AudioWAV/1002_IOM_DIS_MD.wav", "AudioWAV/1003_ITH_FEA_XX.wav", "AudioWAV/1091_WSI_NEU_XX.wav")
    if demographics:  # in the parent of the corpus root, as in the CREMA-D repository
        (root.parent / "VideoDemographics.csv").write_text(
            '\ufeffActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n'
            '1002,21,Female,Caucasian,Not Hispanic\n1003,21,Female,Caucasian,Not Hispanic\n',
            encoding="utf-8")
    return root


def make_tess(root: Path) -> Path:
    touch(root, "OAF_angry/OAF_back_angry.wav", "OAF_Fear/OAF_bite_fear.wav", "OAF_disgust/OAF_cab_disgust.wav",
          "OAF_happy/OAF_dab_happy.wav", "OAF_neutral/OAF_fail_neutral.wav", "OAF_Sad/OAF_gas_sad.wav",
          "OAF_Pleasant_surprise/OAF_hall_ps.wav", "YAF_pleasant_surprised/YAF_youth_ps.wav",
          "YAF_pleasant_surprised/YAF_jar_pleasant_surprise.wav", "YAF_angry/YAF_keep_angry.wav")
    return root


def make_savee(root: Path) -> Path:
    touch(root, "AudioData/DC/a01.wav", "AudioData/DC/sa02.wav", "AudioData/JE/su15.wav",
          "AudioData/JK/d03.wav", "AudioData/KL/n30.wav", "AudioData/KL/f01.wav", "AudioData/KL/h05.wav")
    return root


def make_savee_flat(root: Path) -> Path:
    touch(root, "ALL/DC_a01.wav", "ALL/JE_sa02.wav", "ALL/JK_su03.wav", "ALL/KL_n01.wav")
    return root


IEMOCAP_EVAL = (
    "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
    "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "C-E2:\tNeutral;\t()\nC-E3:\tNeutral;\t()\n\n"
    "[10.0100 - 11.3925]\tSes01F_impro01_M001\texc\t[3.5000, 3.5000, 3.0000]\n\n"
    "[14.8872 - 18.0175]\tSes01F_impro01_F002\tfru\t[2.0000, 3.5000, 3.5000]\n"
)


def make_iemocap(root: Path) -> Path:
    touch(root, "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav",
          "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M001.wav",
          "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F002.wav",
          "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M003.wav",  # no label line
          "Session1/sentences/wav/Ses01F_impro01/._Ses01F_impro01_F000.wav",  # macOS litter
          "Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F005.wav",
          "Session1/dialog/wav/Ses01F_impro01.wav")  # dialog-level recording: reported, not an utterance
    ev = root / "Session1" / "dialog" / "EmoEvaluation"
    ev.mkdir(parents=True)
    (ev / "Ses01F_impro01.txt").write_text(IEMOCAP_EVAL)
    (ev / "Categorical").mkdir()
    (ev / "Categorical" / "Ses01F_impro01_e2_cat.txt").write_text("Ses01F_impro01_F000 :Anger; ()\n")
    ev2 = root / "Session2" / "dialog" / "EmoEvaluation"
    ev2.mkdir(parents=True)
    (ev2 / "Ses02M_script01_1.txt").write_text("[1.0 - 2.0]\tSes02M_script01_1_F005\tang\t[1.0, 4.0, 4.0]\n")
    return root


def make_folder(root: Path) -> Path:
    touch(root, "Anger/a1.wav", "happiness/b.flac", "happiness/sub/deeper/c.wav", "SAD/d.ogg", "Joy/e.mp3",
          "afraid/f.wav", "neu/g.wav", "whisper/h.wav")
    return root


def make_archive(root: Path) -> Path:
    touch(root, "2023/01/call-0001.wav", "2023/01/call-0002.mp3", "2023/02/x.flac", "loose.ogg")
    return root


MAKERS = {
    "emodb": make_emodb, "ravdess": make_ravdess, "cremad": make_cremad, "tess": make_tess,
    "savee": make_savee, "iemocap": make_iemocap, "folder": make_folder, "archive": make_archive,
}


# --- per-format parsing -------------------------------------------------------------------------
def test_emodb(tmp_path):
    root = make_emodb(tmp_path / "emodb")
    touch(root, "wav/notes.wav", "wav/readme.txt", "wav/._03a01Fa.wav")
    d = discover(root, "emodb")
    assert (d.format, d.root) == ("emodb", str(root))
    u = by_id(d)["wav/03a01Fa.wav"]
    assert u == Utterance("wav/03a01Fa.wav", str(root / "wav" / "03a01Fa.wav"), "emodb", "03", "male", "happy", "F")
    assert (by_id(d)["wav/08b02Lb.wav"].gender, by_id(d)["wav/08b02Lb.wav"].label) == ("female", "boredom")
    assert {u.label_code: u.label for u in d.utterances} == {
        "W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
    assert {u.speaker: u.gender for u in d.utterances} == {
        "03": "male", "10": "male", "11": "male", "12": "male", "15": "male",
        "08": "female", "09": "female", "13": "female", "14": "female", "16": "female"}
    # the stray notes.wav is reported, not lost; .txt and ._ files are not audio / hidden
    assert d.skipped == ((str(root / "wav" / "notes.wav"), d.skipped[0][1]),)
    assert "EMO-DB" in d.skipped[0][1]
    assert discover(root).format == "emodb"  # 11 of 12 parse: >= 90 %


def test_ravdess_speech_song_wav_flac(tmp_path):
    root = make_ravdess(tmp_path / "ravdess")
    d = discover(root)
    assert d.format == "ravdess" and not d.skipped and len(d.utterances) == 9
    assert {u.label_code: u.label for u in d.utterances} == {
        "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
        "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised"}
    u = by_id(d)["03-01-05-02-02-02-12.wav"]
    assert (u.speaker, u.gender, u.label, u.label_code) == ("12", "female", "angry", "05")
    song = by_id(d)["Actor_06/03-02-02-01-01-01-06.flac"]  # song channel, FLAC copy
    assert (song.speaker, song.gender, song.label) == ("06", "female", "calm")
    assert by_id(d)["Actor_05/03-01-01-01-01-01-05.wav"].gender == "male"


def test_ravdess_rejects_bad_codes(tmp_path):
    root = make_ravdess(tmp_path / "r")
    touch(root, "Actor_01/03-01-09-01-01-01-01.wav", "Actor_01/03-03-01-01-01-01-01.wav")
    d = discover(root, "ravdess")
    reasons = dict((os.path.basename(p), r) for p, r in d.skipped)
    assert "emotion code 09" in reasons["03-01-09-01-01-01-01.wav"]
    assert "vocal channel 03" in reasons["03-03-01-01-01-01-01.wav"]


def test_cremad_with_and_without_demographics(tmp_path):
    root = make_cremad(tmp_path / "crema")  # demographics in the parent of the root
    d = discover(root)
    assert d.format == "cremad" and not d.skipped and len(d.utterances) == 6
    u = by_id(d)["AudioWAV/1001_DFA_ANG_XX.wav"]
    assert (u.speaker, u.gender, u.label, u.label_code) == ("1001", "male", "angry", "ANG")
    assert by_id(d)["AudioWAV/1002_TIE_SAD_HI.wav"].gender == "female"
    assert by_id(d)["AudioWAV/1091_WSI_NEU_XX.wav"].gender == ""  # actor not in the table
    assert {u.label_code: u.label for u in d.utterances} == {
        "ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
    # demographics in the root itself, and in the parent of a root one level down
    (tmp_path / "VideoDemographics.csv").replace(root / "VideoDemographics.csv")
    assert discover(root) == d
    assert by_id(discover(root / "AudioWAV"))["1001_DFA_ANG_XX.wav"].gender == "male"
    # no demographics anywhere: genders unknown
    bare = make_cremad(tmp_path / "x" / "bare", demographics=False)
    assert {u.gender for u in discover(bare).utterances} == {""}


def test_cremad_demographics_without_columns_is_an_error(tmp_path):
    root = make_cremad(tmp_path / "c", demographics=False)
    (root / "VideoDemographics.csv").write_text("id,gender\n1001,Male\n")
    with pytest.raises(CorpusError, match=r"VideoDemographics\.csv.*ActorID, Sex"):
        discover(root)


def test_tess(tmp_path):
    root = make_tess(tmp_path / "TESS Toronto emotional speech set data")
    d = discover(root)
    assert d.format == "tess" and not d.skipped and len(d.utterances) == 10
    assert {u.speaker for u in d.utterances} == {"OAF", "YAF"}
    assert {u.gender for u in d.utterances} == {"female"}
    assert {u.label_code: u.label for u in d.utterances} == {
        "angry": "angry", "fear": "fearful", "disgust": "disgust", "happy": "happy", "neutral": "neutral",
        "sad": "sad", "ps": "surprised", "pleasant_surprise": "surprised"}


@pytest.mark.parametrize("maker", [make_savee, make_savee_flat])
def test_savee_nested_and_flat(tmp_path, maker):
    d = discover(maker(tmp_path / "savee"))
    assert d.format == "savee" and not d.skipped
    assert {u.gender for u in d.utterances} == {"male"}
    assert {u.speaker for u in d.utterances} <= {"DC", "JE", "JK", "KL"}
    codes = {u.label_code: u.label for u in d.utterances}
    assert all({"a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral", "sa": "sad",
                "su": "surprised"}[c] == lab for c, lab in codes.items())
    assert {"sa", "su"} <= set(codes)


def test_savee_nested_speaker_and_code(tmp_path):
    d = discover(make_savee(tmp_path / "savee"))
    u = by_id(d)["AudioData/DC/sa02.wav"]
    assert (u.speaker, u.gender, u.label, u.label_code) == ("DC", "male", "sad", "sa")


def test_iemocap(tmp_path):
    root = make_iemocap(tmp_path / "IEMOCAP_full_release")
    d = discover(root)
    assert d.format == "iemocap"
    u = by_id(d)
    base = "Session1/sentences/wav/Ses01F_impro01/"
    assert (u[base + "Ses01F_impro01_F000.wav"].speaker, u[base + "Ses01F_impro01_F000.wav"].gender) == ("Ses01F", "female")
    assert (u[base + "Ses01F_impro01_F000.wav"].label, u[base + "Ses01F_impro01_F000.wav"].label_code) == ("neutral", "neu")
    m = u[base + "Ses01F_impro01_M001.wav"]
    assert (m.speaker, m.gender, m.label, m.label_code) == ("Ses01M", "male", "happy", "exc")  # exc -> happy
    fru = u[base + "Ses01F_impro01_F002.wav"]
    assert (fru.label, fru.label_code) == ("", "fru")  # no harmonised counterpart, code kept
    unl = u[base + "Ses01F_impro01_M003.wav"]
    assert (unl.speaker, unl.label, unl.label_code) == ("Ses01M", "", "")  # no label line
    s2 = u["Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F005.wav"]
    assert (s2.speaker, s2.gender, s2.label, s2.label_code) == ("Ses02F", "female", "angry", "ang")
    assert len(d.utterances) == 5  # the ._ file is hidden
    assert skipped_names(d) == {"Ses01F_impro01.wav"}
    assert "dialog-level" in d.skipped[0][1]


def test_folder_per_label(tmp_path):
    root = make_folder(tmp_path / "mine")
    d = discover(root)
    assert d.format == "folder" and not d.skipped
    got = {u.id: (u.label, u.label_code) for u in d.utterances}
    assert got == {
        "Anger/a1.wav": ("angry", "Anger"), "happiness/b.flac": ("happy", "happiness"),
        "happiness/sub/deeper/c.wav": ("happy", "happiness"), "SAD/d.ogg": ("sad", "SAD"),
        "Joy/e.mp3": ("happy", "Joy"), "afraid/f.wav": ("fearful", "afraid"), "neu/g.wav": ("neutral", "neu"),
        "whisper/h.wav": ("whisper", "whisper"),  # the user's own class, kept lower-cased
    }
    assert {(u.speaker, u.gender, u.corpus) for u in d.utterances} == {("", "", "folder")}


def test_folder_explicit_reports_files_outside_label_folders(tmp_path):
    root = make_folder(tmp_path / "mine")
    touch(root, "stray.wav")
    d = discover(root, "folder")
    assert skipped_names(d) == {"stray.wav"} and "label folder" in d.skipped[0][1]
    assert discover(root).format == "archive"  # auto needs every file under a label folder


def test_folder_needs_two_known_labels_for_auto(tmp_path):
    touch(tmp_path, "angry/a.wav", "meeting/b.wav", "lecture/c.wav")
    assert discover(tmp_path).format == "archive"
    assert {u.label for u in discover(tmp_path, "folder").utterances} == {"angry", "meeting", "lecture"}


def test_archive(tmp_path):
    root = make_archive(tmp_path / "calls")
    d = discover(root)
    assert d.format == "archive" and not d.skipped
    assert [u.id for u in d.utterances] == ["2023/01/call-0001.wav", "2023/01/call-0002.mp3", "2023/02/x.flac", "loose.ogg"]
    assert {(u.corpus, u.speaker, u.gender, u.label, u.label_code) for u in d.utterances} == {("archive", "", "", "", "")}
    for u in d.utterances:
        assert os.path.isabs(u.path) and os.path.exists(u.path)


def test_archive_format_forced_on_a_corpus(tmp_path):
    d = discover(make_emodb(tmp_path / "e"), "archive")
    assert d.format == "archive" and {u.label for u in d.utterances} == {""}


# --- auto-detection -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(MAKERS))
def test_auto_detects_each_format(tmp_path, fmt):
    root = MAKERS[fmt](tmp_path / "corpus")
    d = discover(root)
    assert d.format == fmt
    assert d.utterances and all(u.corpus == fmt for u in d.utterances)
    explicit = discover(root, fmt)
    assert explicit == d


@pytest.mark.parametrize("fmt", ["ravdess", "cremad", "tess", "savee", "iemocap", "folder", "archive"])
def test_emodb_pattern_does_not_misfire(tmp_path, fmt):
    root = MAKERS[fmt](tmp_path / "corpus")
    d = discover(root, "archive")
    assert not any(isinstance(parse_emodb(u.id), tuple) for u in d.utterances)


def test_filename_patterns_are_mutually_exclusive(tmp_path):
    for fmt in FILENAME_PARSERS:
        root = MAKERS[fmt](tmp_path / fmt)
        ids = [u.id for u in discover(root, "archive").utterances]
        for other, parse in FILENAME_PARSERS.items():
            if other != fmt:
                assert not any(isinstance(parse(i), tuple) for i in ids), (fmt, other)
    ids = [u.id for u in discover(make_savee_flat(tmp_path / "flat"), "archive").utterances]
    assert not any(isinstance(FILENAME_PARSERS["tess"](i), tuple) for i in ids)


def test_auto_below_threshold_falls_back(tmp_path):
    make_emodb(tmp_path)  # 11 EMO-DB names
    touch(tmp_path, "wav/a.wav", "wav/b.wav")  # 11 / 13 = 85 % < 90 %
    d = discover(tmp_path)
    assert d.format == "archive"


def test_auto_manifest_wins(tmp_path):
    make_emodb(tmp_path)
    (tmp_path / "manifest.csv").write_text("path,label\nwav/03a01Fa.wav,joy\n")
    d = discover(tmp_path)
    assert d.format == "manifest" and [u.label for u in d.utterances] == ["happy"]


# --- manifests ----------------------------------------------------------------------------------
def test_manifest_file_and_folder(tmp_path):
    touch(tmp_path, "audio/a.wav", "audio/b b.flac")
    (tmp_path / "list.csv").write_text(
        '\ufeffPath , Label,speaker,gender\n'
        'audio/a.wav,Anger,s1,F\n'
        '"audio\\b b.flac",whisper,s2,male\n'
        './audio/../audio/c.wav,,,\n'
        f'{tmp_path / "audio" / "d.wav"},neu,,\n'
        '\n', encoding="utf-8")
    d = discover(tmp_path / "list.csv")
    assert (d.format, d.root) == ("manifest", str(tmp_path))
    got = {u.id: (u.path, u.speaker, u.gender, u.label, u.label_code) for u in d.utterances}
    assert got == {
        "audio/a.wav": (str(tmp_path / "audio" / "a.wav"), "s1", "female", "angry", "Anger"),
        "audio/b b.flac": (str(tmp_path / "audio" / "b b.flac"), "s2", "male", "whisper", "whisper"),
        "audio/c.wav": (str(tmp_path / "audio" / "c.wav"), "", "", "", ""),  # missing file: the decoder reports it
        "audio/d.wav": (str(tmp_path / "audio" / "d.wav"), "", "", "neutral", "neu"),  # absolute inside: allowed
    }
    assert [u.id for u in d.utterances] == sorted(got)
    (tmp_path / "list.csv").rename(tmp_path / "manifest.csv")
    assert discover(tmp_path).utterances == d.utterances
    assert discover(tmp_path, "manifest").utterances == d.utterances


def test_manifest_missing_columns(tmp_path):
    (tmp_path / "m.csv").write_text("file,emotion\na.wav,angry\n")
    with pytest.raises(CorpusError, match=r"m\.csv.*lacks required column\(s\) path, label") as err:
        discover(tmp_path / "m.csv")
    assert "\n" not in str(err.value)
    (tmp_path / "m.csv").write_text("path,emotion\na.wav,angry\n")
    with pytest.raises(CorpusError, match=r"column\(s\) label \("):
        discover(tmp_path / "m.csv")


@pytest.mark.parametrize("bad", ["../x.wav", "a/../../x.wav", "..\\x.wav", "/etc/x.wav", "ABS_OUTSIDE"])
def test_manifest_path_escaping_the_folder(tmp_path, bad):
    folder = tmp_path / "corpus"
    folder.mkdir()
    if bad == "ABS_OUTSIDE":
        bad = str(tmp_path / "corpus-other" / "x.wav")  # shares a string prefix, not the folder
    (folder / "manifest.csv").write_text(f"path,label\nok.wav,sad\n{bad},sad\n")
    with pytest.raises(CorpusError, match=r"manifest\.csv: row 3: path .* outside the manifest's folder"):
        discover(folder)


def test_manifest_symlink_inside_is_not_resolved(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "link").symlink_to(tmp_path / "outside")
    (tmp_path / "c" / "manifest.csv").write_text("path,label\nlink/x.wav,sad\n")
    (u,) = discover(tmp_path / "c").utterances
    assert u.path == str(tmp_path / "c" / "link" / "x.wav")


@pytest.mark.parametrize("body, match", [
    ("", "manifest is empty"),
    ("path,label\n", "lists no files"),
    ("path,label\n,angry\n", "row 2: the path is empty"),
    ("path,label\nok.wav,x\n.,angry\n", "row 3: path '.' names the manifest's folder"),
    ("path,label\na.wav,x\n./a.wav,y\n", "row 3: .* same file as row 2"),
    ("path,label,gender\na.wav,x,robot\n", "row 2: gender 'robot'"),
])
def test_manifest_row_errors(tmp_path, body, match):
    (tmp_path / "m.csv").write_text(body)
    with pytest.raises(CorpusError, match=match):
        discover(tmp_path / "m.csv")


def test_manifest_not_utf8(tmp_path):
    (tmp_path / "m.csv").write_bytes(b"path,label\n\xff\xfe.wav,x\n")
    with pytest.raises(CorpusError, match="not UTF-8"):
        discover(tmp_path / "m.csv")


def test_manifest_format_on_folder_without_manifest(tmp_path):
    make_emodb(tmp_path)
    with pytest.raises(CorpusError, match="no manifest.csv"):
        discover(tmp_path, "manifest")


# --- hostile trees ------------------------------------------------------------------------------
HOSTILE = ["with space/a b.wav", "ünïcødé/日本語 – ë.wav", "quotes/it's \"q\".wav", "semi;colon,comma.flac",
           "UPPER.WAV", "nl/new\nline.wav", "back\\slash.wav", "dash/-leading.wav"]


def test_hostile_names(tmp_path):
    touch(tmp_path, *HOSTILE)
    d = discover(tmp_path)
    assert d.format == "archive" and not d.skipped
    assert sorted(u.id for u in d.utterances) == sorted(HOSTILE) == [u.id for u in d.utterances]
    for u in d.utterances:
        assert os.path.exists(u.path)


def test_hostile_label_folders(tmp_path):
    touch(tmp_path, "Ängstlich/x.wav", "angry/it's.wav", "Happy Sounds/y.wav", "sad/z.wav")
    got = {u.id: (u.label, u.label_code) for u in discover(tmp_path).utterances}
    assert got["Ängstlich/x.wav"] == ("ängstlich", "Ängstlich")
    assert got["Happy Sounds/y.wav"] == ("happy sounds", "Happy Sounds")


def test_non_utf8_name_is_reported(tmp_path):
    touch(tmp_path, "ok.wav")
    bad = os.path.join(os.fsencode(tmp_path), b"bad\xff.wav")
    try:
        with open(bad, "wb"):
            pass
    except OSError as exc:
        pytest.skip(f"file system refuses non-UTF-8 names: {exc}")
    d = discover(tmp_path)
    assert [u.id for u in d.utterances] == ["ok.wav"]
    assert len(d.skipped) == 1 and "not valid UTF-8" in d.skipped[0][1]


def test_odd_entries_are_listed_not_dropped(tmp_path):
    touch(tmp_path, "real.wav", "x.wav/inner.wav")  # a folder named like audio: listed, not descended
    (tmp_path / "broken.wav").symlink_to(tmp_path / "nowhere.wav")
    (tmp_path / "loop1.wav").symlink_to(tmp_path / "loop2.wav")
    (tmp_path / "loop2.wav").symlink_to(tmp_path / "loop1.wav")
    (tmp_path / "dirloop").symlink_to(tmp_path)  # a directory symlink loop: never followed
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path / "sub")
    (tmp_path / "linked.wav").symlink_to(tmp_path / "real.wav")
    (tmp_path / "locked.wav").write_bytes(b"")
    (tmp_path / "locked.wav").chmod(0)
    (tmp_path / ".hidden.wav").write_bytes(b"")
    (tmp_path / ".git").mkdir()
    touch(tmp_path, ".git/inside.wav")
    d = discover(tmp_path)
    assert [u.id for u in d.utterances] == ["broken.wav", "linked.wav", "locked.wav", "loop1.wav", "loop2.wav",
                                            "real.wav", "x.wav"]
    assert by_id(d)["linked.wav"].path == str(tmp_path / "linked.wav")  # not resolved
    assert not d.skipped


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions are not enforced for root (or on this OS): cannot make an unlistable folder")
def test_unlistable_subfolder_is_reported(tmp_path):
    touch(tmp_path, "a/ok.wav", "locked/x.wav")
    (tmp_path / "locked").chmod(0)
    try:
        d = discover(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [u.id for u in d.utterances] == ["a/ok.wav"]
    assert d.skipped[0][0] == str(tmp_path / "locked") and "cannot list" in d.skipped[0][1]


def test_unlistable_subfolder_is_reported_simulated(tmp_path, monkeypatch):
    """Same as above, everywhere (also as root): scandir refuses one sub-folder."""
    import corpora.walk

    touch(tmp_path, "a/ok.wav", "locked/x.wav")
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(corpora.walk.os, "scandir", scandir)
    d = discover(tmp_path)
    assert [u.id for u in d.utterances] == ["a/ok.wav"]
    assert d.skipped == ((str(tmp_path / "locked"), d.skipped[0][1]),)
    assert "cannot list this folder (Permission denied)" in d.skipped[0][1]
    monkeypatch.setattr(corpora.walk.os, "scandir", lambda path: scandir(os.path.join(path, "locked")))
    with pytest.raises(CorpusError, match="cannot list the folder"):
        discover(tmp_path)


def test_deep_tree(tmp_path):
    rel = "/".join(f"d{i}" for i in range(60)) + "/deep.wav"
    touch(tmp_path, rel)
    assert [u.id for u in discover(tmp_path).utterances] == [rel]


def test_root_given_through_a_symlink_keeps_unresolved_paths(tmp_path):
    real = make_emodb(tmp_path / "real")
    (tmp_path / "alias").symlink_to(real)
    d = discover(tmp_path / "alias")
    assert d.root == str(tmp_path / "alias") and d.format == "emodb"
    assert d.utterances[0].path.startswith(str(tmp_path / "alias") + os.sep)


def test_relative_root_and_determinism(tmp_path, monkeypatch):
    make_tess(tmp_path / "t")
    monkeypatch.chdir(tmp_path)
    a, b = discover("t"), discover(Path("t"), "TESS")
    assert a == b and a.root == str(tmp_path / "t")
    assert [u.id for u in a.utterances] == sorted(u.id for u in a.utterances)
    assert len({u.id for u in a.utterances}) == len(a.utterances)


def test_records_are_frozen_and_picklable(tmp_path):
    d = discover(make_emodb(tmp_path))
    assert pickle.loads(pickle.dumps(d)) == d
    with pytest.raises(AttributeError):
        d.utterances[0].label = "sad"  # type: ignore[misc]


# --- errors -------------------------------------------------------------------------------------
def test_missing_root(tmp_path):
    with pytest.raises(CorpusError, match=r"^.*nope: no such folder; ") as err:
        discover(tmp_path / "nope")
    assert "\n" not in str(err.value)


def test_root_without_audio(tmp_path):
    touch(tmp_path, "readme.txt", "sub/x.csv", "._x.wav")
    with pytest.raises(CorpusError, match=r"no audio files found .*\.wav.*; point to"):
        discover(tmp_path)


def test_root_is_a_plain_file(tmp_path):
    touch(tmp_path, "a.wav")
    with pytest.raises(CorpusError, match="is a file, not a folder"):
        discover(tmp_path / "a.wav")


def test_unknown_format(tmp_path):
    touch(tmp_path, "a.wav")
    with pytest.raises(UsageError, match="unknown corpus format 'emo-db'; use one of: auto, emodb, ravdess") as err:
        discover(tmp_path, "emo-db")
    assert all(f in str(err.value) for f in FORMATS)
    assert isinstance(err.value, EmovoxError)


def test_explicit_format_that_fits_nothing(tmp_path):
    make_ravdess(tmp_path)
    with pytest.raises(CorpusError, match=r"none of the 9 audio files fits the 'emodb' layout .*EMO-DB pattern"):
        discover(tmp_path, "emodb")


def test_constants():
    assert HARMONISED_LABELS == ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "boredom")
    assert FORMATS[0] == "auto" and len(FORMATS) == 10
    assert ".flac" in AUDIO_EXTENSIONS and ".txt" not in AUDIO_EXTENSIONS
    assert [harmonise(x) for x in ("MAD", " joy ", "Afraid", "disgusted", "Surprise", "bored", "NEU", "calm", "", "Growl")] == [
        "angry", "happy", "fearful", "disgust", "surprised", "boredom", "neutral", "calm", "", "growl"]


# --- the real corpora ---------------------------------------------------------------------------
def _real(name: str) -> Path:
    path = REAL_CORPORA / name
    if not path.is_dir():
        pytest.skip(f"real corpus {path} is absent (see ../shared/corpora/README.md); CI has it")
    return path


@pytest.mark.corpus
def test_real_emodb():
    d = discover(_real("emodb"))
    assert d.format == "emodb" and not d.skipped
    assert len(d.utterances) == 535
    assert len({u.speaker for u in d.utterances}) == 10
    assert Counter(u.label_code for u in d.utterances) == {"W": 127, "L": 81, "N": 79, "F": 71, "A": 69, "T": 62, "E": 46}
    assert len({u.label for u in d.utterances}) == 7
    assert all(u.gender in ("male", "female") for u in d.utterances)


@pytest.mark.corpus
def test_real_ravdess():
    d = discover(_real("ravdess"))
    assert d.format == "ravdess" and not d.skipped
    assert len(d.utterances) == 1440
    assert len({u.speaker for u in d.utterances}) == 24
    assert len({u.label for u in d.utterances}) == 8
    labels = Counter(u.label for u in d.utterances)
    assert labels["neutral"] == 96 and all(n == 192 for lab, n in labels.items() if lab != "neutral")
    assert Counter(u.gender for u in d.utterances) == {"male": 720, "female": 720}
