"""Digital signatures on issued PDFs (PAdES), a local certificate authority for the demo, and verification.

Why this exists: a học bạ số, the result of an administrative procedure and an outgoing official document are
legal originals only when they carry a digital signature (Luật Giao dịch điện tử 20/2023/QH15, Art. 22–23;
Nghị định 30/2020/NĐ-CP Art. 5). A transcript is signed in turn by the homeroom teacher, the principal and
finally with the school's organisation signature (the electronic "seal"); each signature is an incremental
update of the PDF, so the earlier ones stay valid and a verifier can tell what changed after each of them.

The pieces:

- :class:`Signer` — the one port every signing back end implements:
  ``sign(pdf_bytes, *, field_name, reason, location, signer_name) -> bytes`` returns the PDF with one more
  signature appended as an incremental update (never a rewrite of earlier revisions).
- :class:`LocalCASigner` — signs with a certificate and private key held by the server (files or bytes),
  through pyHanko, as PAdES baseline B (``/ETSI.CAdES.detached``, SHA-256). Used for the demo, for tests and
  for the organisation seal when the organisation's key lives in the server's protected store.
- A local certificate authority (:func:`create_root_ca`, :func:`issue_personal_certificate`,
  :func:`issue_organisation_certificate`, :func:`ensure_demo_ca`) made with ``cryptography``. It stands in
  for the real roots — the national root CA of NEAC for public certificates and the Ban Cơ yếu Chính phủ
  root for chữ ký số chuyên dùng công vụ — which production configures as trust roots instead.
- :func:`verify_pdf` — checks every signature of a file against explicit trust roots and reports, in
  Vietnamese, whether each is intact, trusted, and whether the file changed after it beyond later
  signatures.

Plugging in other back ends behind the same :class:`Signer` port:

- **USB token / smart card (PKCS#11).** The key never leaves the token. Install ``pyhanko[pkcs11]``
  (python-pkcs11) and build the pyHanko signer from a PKCS#11 session instead of a key file::

      from pyhanko.sign import pkcs11
      session = pkcs11.open_pkcs11_session(lib_location, slot_no=0, user_pin=pin)
      cms_signer = pkcs11.PKCS11Signer(session, cert_label="...", key_label="...")

  then wrap it exactly as :class:`LocalCASigner` wraps its ``SimpleSigner`` (``_PyHankoSigner`` below takes
  any ``pyhanko.sign.signers.Signer``). The token sits on the signer's own machine, so in practice this runs
  in a small desktop agent or browser extension that receives the PDF (or only its hash) from the server;
  the server-side adapter then sends the document and waits for the signed bytes.
- **Remote signing (ký số từ xa: VNPT SmartCA, Viettel MySign, …).** These services sign a hash, not a file:
  the adapter prepares the signature placeholder with pyHanko's interrupted signing
  (``PdfSigner.async_digest_doc_for_signing``), sends the SHA-256 digest of the byte range to the provider,
  the user approves in the provider's app, and the returned CMS/PKCS#7 blob is embedded with
  ``finish_signing``. To the caller it is the same ``sign(...)`` call; only the wait is longer, so run it in a
  task rather than in a request.

Nothing here reaches the network: validation uses only the trust roots given and fetches no CRL/OCSP
(``allow_fetching=False``, revocation "soft-fail"). Production should add a trusted timestamp (RFC 3161,
``timestamper=``) and revocation data for long-term validity; without a timestamp the signing time shown is
the time the signer's system claimed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from edudx.core.errors import DomainError

__all__ = [
    "CertifiedKey",
    "LocalCASigner",
    "Signer",
    "SignerReport",
    "SigningFailed",
    "VerificationResult",
    "create_root_ca",
    "ensure_demo_ca",
    "issue_organisation_certificate",
    "issue_personal_certificate",
    "load_certified_key",
    "store_certified_key",
    "verify_pdf",
]

ROOT_STEM = "root"
RSA_KEY_BITS = 2048  # what Vietnamese CAs and signing software expect; ECDSA is not universally accepted
ROOT_VALID_DAYS = 3650
LEAF_VALID_DAYS = 3 * 365
CLOCK_SKEW = dt.timedelta(minutes=5)


class SigningFailed(DomainError):
    code = "signing_failed"


T = TypeVar("T")


def outside_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call one of pyHanko's synchronous functions, which start their own event loop (``asyncio.run``).

    That is refused in a thread where a loop is already running (an ASGI worker, a test session driving a browser);
    there the call runs in a short-lived thread of its own instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


# --------------------------------------------------------------------------------------------------------------
# Certificates and keys


@dataclass(frozen=True)
class CertifiedKey:
    """A certificate, its private key and the chain above it (issuer first, root last; empty for a root)."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def common_name(self) -> str:
        return _name_attribute(self.certificate.subject, NameOID.COMMON_NAME)

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain)

    def private_key_pem(self, passphrase: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return ""
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def _subject(pairs: Iterable[tuple[x509.ObjectIdentifier, str | None]]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs if value])


def create_root_ca(
    *,
    common_name: str = "EduDX Demo Root CA",
    organisation: str = "EduDX (demo)",
    valid_days: int = ROOT_VALID_DAYS,
) -> CertifiedKey:
    """Make a self-signed root certificate authority (demo and tests only)."""
    key = _new_key()
    name = _subject(
        [(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, organisation), (NameOID.COMMON_NAME, common_name)]
    )
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertifiedKey(certificate=certificate, private_key=key)


def _issue(ca: CertifiedKey, subject: x509.Name, *, valid_days: int, email: str | None) -> CertifiedKey:
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    not_after = min(now + dt.timedelta(days=valid_days), ca.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # Non-repudiation (content commitment) is what a document signature needs; pyHanko requires it.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    certificate = builder.sign(ca.private_key, hashes.SHA256())
    return CertifiedKey(certificate=certificate, private_key=key, chain=(ca.certificate, *ca.chain))


def issue_personal_certificate(
    ca: CertifiedKey,
    *,
    full_name: str,
    organisation: str,
    unit: str | None = None,
    title: str | None = None,
    locality: str | None = None,
    province: str | None = None,
    email: str | None = None,
    valid_days: int = LEAF_VALID_DAYS,
) -> CertifiedKey:
    """Issue a personal signing certificate to a staff member (CN = full name, O = organisation, C = VN)."""
    subject = _subject(
        [
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.STATE_OR_PROVINCE_NAME, province),
            (NameOID.LOCALITY_NAME, locality),
            (NameOID.ORGANIZATION_NAME, organisation),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            (NameOID.TITLE, title),
            (NameOID.COMMON_NAME, full_name),
        ]
    )
    return _issue(ca, subject, valid_days=valid_days, email=email)


def issue_organisation_certificate(
    ca: CertifiedKey,
    *,
    organisation_name: str,
    parent_organisation: str | None = None,
    locality: str | None = None,
    province: str | None = None,
    email: str | None = None,
    valid_days: int = LEAF_VALID_DAYS,
) -> CertifiedKey:
    """Issue an organisation ("seal") certificate to a school or an office (CN = O = the organisation's name)."""
    subject = _subject(
        [
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.STATE_OR_PROVINCE_NAME, province),
            (NameOID.LOCALITY_NAME, locality),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, parent_organisation),
            (NameOID.ORGANIZATION_NAME, organisation_name),
            (NameOID.COMMON_NAME, organisation_name),
        ]
    )
    return _issue(ca, subject, valid_days=valid_days, email=email)


def _paths(directory: Path, stem: str) -> tuple[Path, Path, Path]:
    return directory / f"{stem}.crt.pem", directory / f"{stem}.key.pem", directory / f"{stem}.chain.pem"


def store_certified_key(
    certified: CertifiedKey, directory: Path | str, stem: str, *, passphrase: bytes | None = None
) -> Path:
    """Write ``<stem>.crt.pem``, ``<stem>.key.pem`` (mode 0600) and ``<stem>.chain.pem`` under ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path, chain_path = _paths(directory, stem)
    # The key file is created private from the start, never chmod-ed after being world-readable for a moment.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(certified.private_key_pem(passphrase))
    cert_path.write_bytes(certified.certificate_pem())
    chain_path.write_bytes(certified.chain_pem())
    return cert_path


def load_certified_key(directory: Path | str, stem: str, *, passphrase: bytes | None = None) -> CertifiedKey:
    cert_path, key_path, chain_path = _paths(Path(directory), stem)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise SigningFailed(_("Khóa bí mật không phải khóa RSA."))
    chain_pem = chain_path.read_bytes() if chain_path.exists() else b""
    chain = tuple(x509.load_pem_x509_certificates(chain_pem)) if chain_pem.strip() else ()
    return CertifiedKey(certificate=certificate, private_key=private_key, chain=chain)


def ca_directory() -> Path:
    return Path(settings.SIGNING_CA_DIR)


def ensure_demo_ca(directory: Path | str | None = None) -> tuple[CertifiedKey, bool]:
    """Load the demo root CA from ``directory`` (default ``settings.SIGNING_CA_DIR``), creating it the first time.

    Returns the CA and whether it was created now.
    """
    directory = Path(directory) if directory is not None else ca_directory()
    cert_path, key_path, _chain = _paths(directory, ROOT_STEM)
    if cert_path.exists() and key_path.exists():
        return load_certified_key(directory, ROOT_STEM), False
    ca = create_root_ca()
    store_certified_key(ca, directory, ROOT_STEM)
    return ca, True


# --------------------------------------------------------------------------------------------------------------
# Signing


@runtime_checkable
class Signer(Protocol):
    """A back end that appends one signature to a PDF (see the module docstring for the adapters)."""

    def sign(self, pdf_bytes: bytes, *, field_name: str, reason: str, location: str, signer_name: str) -> bytes: ...


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class _PyHankoSigner:
    """Adapts any pyHanko CMS signer (in-memory key, PKCS#11 token, …) to the :class:`Signer` port."""

    def __init__(self, cms_signer: signers.Signer, *, timestamper: TimeStamper | None = None):
        self._cms_signer = cms_signer
        self._timestamper = timestamper

    def sign(self, pdf_bytes: bytes, *, field_name: str, reason: str, location: str, signer_name: str) -> bytes:
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=reason,
            location=location,
            name=signer_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
            pdf_signer = signers.PdfSigner(
                metadata,
                signer=self._cms_signer,
                timestamper=self._timestamper,
                new_field_spec=fields.SigFieldSpec(sig_field_name=field_name),
            )
            output = io.BytesIO()
            outside_event_loop(pdf_signer.sign_pdf, writer, output=output)
        except Exception as error:  # pyHanko raises many types; the caller needs one clear message
            raise SigningFailed(
                _("Không ký được tài liệu (ô chữ ký “%(field)s”): %(error)s") % {"field": field_name, "error": error}
            ) from error
        return output.getvalue()


class LocalCASigner(_PyHankoSigner):
    """Signs with a certificate and key held by the server: :class:`CertifiedKey`, PEM bytes or PEM files."""

    def __init__(self, certified: CertifiedKey, *, timestamper: TimeStamper | None = None):
        self.certified = certified
        key_der = certified.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        cms_signer = signers.SimpleSigner(
            signing_cert=_asn1_certificate(certified.certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in certified.chain]),
        )
        super().__init__(cms_signer, timestamper=timestamper)

    @classmethod
    def from_pem(
        cls,
        certificate_pem: bytes,
        private_key_pem: bytes,
        chain_pem: bytes = b"",
        *,
        passphrase: bytes | None = None,
        timestamper: TimeStamper | None = None,
    ) -> LocalCASigner:
        private_key = serialization.load_pem_private_key(private_key_pem, password=passphrase)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise SigningFailed(_("Khóa bí mật không phải khóa RSA."))
        chain = tuple(x509.load_pem_x509_certificates(chain_pem)) if chain_pem.strip() else ()
        certified = CertifiedKey(x509.load_pem_x509_certificate(certificate_pem), private_key, chain)
        return cls(certified, timestamper=timestamper)

    @classmethod
    def from_files(
        cls,
        certificate_path: Path | str,
        private_key_path: Path | str,
        chain_path: Path | str | None = None,
        *,
        passphrase: bytes | None = None,
        timestamper: TimeStamper | None = None,
    ) -> LocalCASigner:
        chain_pem = Path(chain_path).read_bytes() if chain_path else b""
        return cls.from_pem(
            Path(certificate_path).read_bytes(),
            Path(private_key_path).read_bytes(),
            chain_pem,
            passphrase=passphrase,
            timestamper=timestamper,
        )


# --------------------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class SignerReport:
    """One signature of a file, as a verifier sees it."""

    field_name: str
    name: str  # the certificate's common name (person or organisation)
    organisation: str
    signed_at: dt.datetime | None  # the signer's claimed time unless a trusted timestamp is present
    intact: bool  # the signed bytes are unchanged and the cryptographic signature holds
    trusted: bool  # the certificate chains to one of the given trust roots and is within its validity
    modified_after: bool  # the file changed after this signature in a way other than adding signatures
    certificate_serial: str = ""
    valid: bool = False  # intact and trusted and not modified_after


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    signers: list[SignerReport] = field(default_factory=list)
    sha256: str = ""
    problems: list[str] = field(default_factory=list)


def _trust_context(trust_roots: Iterable[x509.Certificate | bytes]) -> ValidationContext:
    roots: list[asn1_x509.Certificate] = []
    for root in trust_roots:
        if isinstance(root, bytes):
            roots.extend(_asn1_certificate(cert) for cert in x509.load_pem_x509_certificates(root))
        else:
            roots.append(_asn1_certificate(root))
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def verify_pdf(pdf_bytes: bytes, trust_roots: Sequence[x509.Certificate | bytes]) -> VerificationResult:
    """Check every signature in ``pdf_bytes`` against ``trust_roots`` (certificates or PEM bytes).

    The file is valid when it has at least one signature and every signature is intact, trusted, and not
    followed by changes other than further signatures. Call it from synchronous code: pyHanko's validation runs
    its own event loop.
    """
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes))
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # a damaged file must produce a report, not an error page
        return VerificationResult(
            valid=False, sha256=digest, problems=[_("Không đọc được tệp PDF: tệp bị hỏng hoặc không phải PDF.")]
        )
    if not embedded:
        return VerificationResult(valid=False, sha256=digest, problems=[_("Tệp không có chữ ký số.")])

    reports: list[SignerReport] = []
    problems: list[str] = []
    for signature in embedded:
        report, signature_problems = _check_signature(signature, trust_roots)
        reports.append(report)
        problems.extend(signature_problems)
    valid = all(report.valid for report in reports)
    return VerificationResult(valid=valid, signers=reports, sha256=digest, problems=problems)


def _check_signature(
    signature: EmbeddedPdfSignature, trust_roots: Sequence[x509.Certificate | bytes]
) -> tuple[SignerReport, list[str]]:
    field_name = str(signature.field_name or "")
    try:
        subject = signature.signer_cert.subject.native
        name = str(subject.get("common_name", ""))
        organisation = str(subject.get("organization_name", ""))
        serial = format(signature.signer_cert.serial_number, "x")
    except Exception:
        name, organisation, serial = "", "", ""
    who = name or field_name
    try:
        status = outside_event_loop(
            validate_pdf_signature, signature, signer_validation_context=_trust_context(trust_roots)
        )
    except Exception:
        problem = _("Chữ ký “%(field)s” của %(name)s bị hỏng, không kiểm tra được.") % {
            "field": field_name,
            "name": who,
        }
        report = SignerReport(field_name, name, organisation, None, False, False, True, serial)
        return report, [problem]

    problems: list[str] = []
    intact = bool(status.intact and status.valid) and status.coverage is not None
    intact = intact and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
    # Trust of the certificate chain, judged apart from the document bytes (pyHanko's ``trusted`` also
    # requires intactness, which would report a tampered file as "untrusted signer" too).
    trusted = status.trust_problem_indic is None and status.validation_path is not None
    level = status.modification_level
    modified_after = level is None or level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False
    if not intact:
        problems.append(
            _("Chữ ký “%(field)s” của %(name)s không còn nguyên vẹn: nội dung đã ký bị thay đổi.")
            % {"field": field_name, "name": who}
        )
    if not trusted:
        problems.append(
            _("Chứng thư số của %(name)s không được xác thực bởi tổ chức chứng thực tin cậy hoặc đã hết hạn.")
            % {"name": who}
        )
    if intact and modified_after:
        problems.append(_("Tệp đã bị sửa đổi sau khi %(name)s ký (không chỉ là thêm chữ ký).") % {"name": who})
    signed_at = status.timestamp_validity.timestamp if status.timestamp_validity else status.signer_reported_dt
    report = SignerReport(
        field_name=field_name,
        name=name,
        organisation=organisation,
        signed_at=signed_at,
        intact=intact,
        trusted=trusted,
        modified_after=modified_after,
        certificate_serial=serial,
        valid=intact and trusted and not modified_after,
    )
    return report, problems
