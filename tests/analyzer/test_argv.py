"""Windows argument splitting exactly as CommandLineToArgvW does it, and the other splitters."""
import pytest

from app.detection.analyzer.argv import program_stem, split_cmd, split_posix, split_windows


@pytest.mark.parametrize("line, argv", [
    # Microsoft's table of examples ("Parsing C++ command-line arguments") after the program name
    (r'p "abc" d e', ["p", "abc", "d", "e"]),
    (r'p a\\b d"e f"g h', ["p", r"a\\b", "de fg", "h"]),
    (r'p a\\\"b c d', ["p", r'a\"b', "c", "d"]),
    (r'p a\\\\"b c" d e', ["p", r"a\\b c", "d", "e"]),
    # shell32's rule for "" inside a quoted run: a literal quote, and the run ends
    (r'p a"b"" c d', ["p", 'ab"', "c", "d"]),
    (r'p """a b"""', ["p", '"a', 'b"']),
    (r'p "" x', ["p", "", "x"]),
    (r'p a\b\c', ["p", r"a\b\c"]),
    ("p \t a   b ", ["p", "a", "b"]),
    # the program name: up to the next quote if it starts with one, else up to white space; no escapes
    (r'"C:\Program Files\curl\curl.exe" -T f', [r"C:\Program Files\curl\curl.exe", "-T", "f"]),
    (r'"C:\x\curl.exe"-T f', [r"C:\x\curl.exe", "-T", "f"]),
    (r'C:\x\"odd".exe a', [r'C:\x\"odd".exe', "a"]),
    ('"unterminated program', ["unterminated program"]),
    ("", []),
])
def test_split_windows(line, argv):
    assert split_windows(line) == argv


def test_split_posix():
    assert split_posix(r"""curl -T 'a b' "c \"d\"" e\ f""") == ["curl", "-T", "a b", 'c "d"', "e f"]


def test_split_cmd_segments_redirection_and_pipes():
    assert split_cmd(r'echo put x | sftp u@h:/in & openssl s_client -connect h:443 < C:\k.txt') == [
        ("echo put x", None, False), ("sftp u@h:/in", None, True),
        ("openssl s_client -connect h:443", r"C:\k.txt", False)]
    assert split_cmd('a ^& b && "c & d" || e') == [("a & b", None, False), ('"c & d"', None, False), ("e", None, False)]


@pytest.mark.parametrize("path, stem", [(r"C:\Windows\System32\CURL.EXE", "curl"), ('"rclone"', "rclone"),
                                        ("/usr/bin/curl", "curl"), ("winscp.com", "winscp"), (None, "")])
def test_program_stem(path, stem):
    assert program_stem(path) == stem
