"""Secrets at rest, stored the way qpylib.encdec (engine 4) stores them.

Outside the container there is no qpylib, but a secret an admin saved there must
still read back after the app moves into a console (and the other way round),
so the file format is qpylib's, not ours:

    store/<user>_e.db = {"<name>": {"version": 4, "salt": "<16 printable chars>",
                                     "iterations": 100000, "secret": "<Fernet token>"}}

The Fernet key is PBKDF2-HMAC-SHA256(QRADAR_APP_UUID, salt, iterations), 32
bytes, URL-safe base64. No key is written anywhere, but the app's UUID is not a
secret: it ships in manifest.json inside the app's zip. Anyone holding a copy of
the store (a backup) and the zip can decrypt the file. The encryption keeps the
token out of casual reads and out of the database; the file's permissions (0600,
checked on every read and write) and the store's access control are what protect
it. docs/security.md says what follows from that.

Like qpylib, one name holds one secret: ``encrypt`` replaces it, ``decrypt``
returns it.
"""
import base64
import json
import logging
import os
import secrets
import string
import tempfile

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

log = logging.getLogger(__name__)

ENGINE_VERSION = 4
ITERATIONS = 100_000
_SALT_ALPHABET = string.ascii_letters + string.digits + string.punctuation


class EncryptionError(Exception):
    """A secret could not be stored or read back."""


def _derive_key(app_uuid, salt, iterations):
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode("utf-8"), iterations=iterations)
    return base64.urlsafe_b64encode(kdf.derive(app_uuid.encode("utf-8")))


def _private(fd, path):
    """The secret store is readable by its owner only: a wider mode (a restore, a copy) is narrowed back."""
    mode = os.fstat(fd).st_mode & 0o777
    if mode & 0o077:
        log.warning("secret store %s had mode %o; set to 600", path, mode)
        os.fchmod(fd, 0o600)


class FileEncryption:
    """One named secret in ``<store>/<user>_e.db``, readable by qpylib.encdec.Encryption."""

    def __init__(self, name, user, *, store_dir, app_uuid):
        self.name = str(name or "").strip()
        self.user = str(user or "").strip()
        if not self.name or not self.user:
            raise EncryptionError("a secret needs a non-empty name and user")
        if not app_uuid:
            raise EncryptionError(
                "QRADAR_APP_UUID is not set: secrets are encrypted with a key derived from the app's UUID, "
                "so they cannot be stored or read without it (set it to the app's uuid from manifest.json)")
        self._app_uuid = app_uuid
        self.path = os.path.join(store_dir, f"{self.user}_e.db")

    def encrypt(self, clear_text):
        """Encrypts and stores ``clear_text`` under this name; returns the token stored."""
        config = self._read()
        entry = config.get(self.name)
        if not isinstance(entry, dict) or entry.get("version") != ENGINE_VERSION:
            # Same as qpylib: a fresh salt whenever the entry is new or from an older engine.
            entry = {"version": ENGINE_VERSION, "iterations": ITERATIONS,
                     "salt": "".join(secrets.choice(_SALT_ALPHABET) for _ in range(16))}
        key = _derive_key(self._app_uuid, entry["salt"], entry["iterations"])
        entry["secret"] = Fernet(key).encrypt(clear_text.encode("utf-8")).decode("ascii")
        config[self.name] = entry
        self._write(config)
        return entry["secret"]

    def decrypt(self, token=None):
        """The stored secret in clear. ``token``, when given, must be the one stored
        (qpylib can only decrypt what it stored; we keep the same contract)."""
        entry = self._read().get(self.name)
        if not isinstance(entry, dict) or "secret" not in entry:
            raise EncryptionError(f"no secret stored for {self.name!r} in {self.path}")
        if token is not None and token != entry["secret"]:
            raise EncryptionError(f"the token given is not the secret stored for {self.name!r}")
        if entry.get("version") != ENGINE_VERSION:
            raise EncryptionError(
                f"secret {self.name!r} was stored by encryption engine {entry.get('version')!r}; "
                "only engine 4 is readable outside the container: enter the secret again")
        try:
            key = _derive_key(self._app_uuid, entry["salt"], int(entry.get("iterations", ITERATIONS)))
            return Fernet(key).decrypt(entry["secret"].encode("ascii")).decode("utf-8")
        except (InvalidToken, KeyError, TypeError, ValueError) as error:
            raise EncryptionError(
                f"secret {self.name!r} cannot be decrypted ({type(error).__name__}): "
                "was it stored under another QRADAR_APP_UUID?") from None

    def _read(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                _private(f.fileno(), self.path)
                config = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise EncryptionError(f"cannot read secret store {self.path}: {error}") from None
        if not isinstance(config, dict):
            raise EncryptionError(f"secret store {self.path} is not a JSON object")
        return config

    def _write(self, config):
        # Write-then-rename so a crash never leaves half a file (which would lose every
        # secret of this user), and 0600 because it is a secret store.
        directory = os.path.dirname(self.path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".e-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(config, f)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as error:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise EncryptionError(f"cannot write secret store {self.path}: {error}") from None
