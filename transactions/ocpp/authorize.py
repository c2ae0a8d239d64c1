"""Authorize in both versions: the token's standing from services.authorize, in each version's answer shape.

Both handlers live in one module (the answer helpers are shared), so they carry a version
suffix instead of both being `on_authorize`: a grep for `on_authorize` still finds both.
"""

from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import AuthorizeCertificateStatusEnumType, IdTokenEnumType

from csms.envelope import Envelope
from csms.router import handles
from stations.ocpp.common import received_at
from transactions import services
from transactions.choices import TokenType
from transactions.ocpp.common import id_tag_info_16, id_token_info_201

TOKEN_TYPE_201 = {
    IdTokenEnumType.central: TokenType.CENTRAL,
    IdTokenEnumType.e_maid: TokenType.EMAID,
    IdTokenEnumType.iso14443: TokenType.ISO14443,
    IdTokenEnumType.iso15693: TokenType.ISO15693,
    IdTokenEnumType.key_code: TokenType.KEY_CODE,
    IdTokenEnumType.local: TokenType.LOCAL,
    IdTokenEnumType.mac_address: TokenType.MAC_ADDRESS,
    IdTokenEnumType.no_authorization: TokenType.NO_AUTHORIZATION,
}
# Central holds no V2G root or OCSP access, so it cannot judge an ISO 15118 contract certificate.
# Accepted would vouch for what was never checked; CertificateRevoked / CertificateExpired /
# SignatureError / CertChainError / ContractCancelled each claim a fault that was not found.
# NoCertificateAvailable (ISO 15118-2 FAILED_NoCertificateAvailable: the certificate or its status
# could not be obtained from the party that holds it) is the one that says "no verdict available".
CERTIFICATE_NOT_CHECKED = AuthorizeCertificateStatusEnumType.no_certificate_available


@handles("1.6", Action16.authorize)
def on_authorize_16(envelope: Envelope) -> dict:
    auth = services.authorize(value=envelope.payload["idTag"], at=received_at(envelope))
    return {"idTagInfo": id_tag_info_16(auth)}


@handles("2.0.1", Action201.authorize)
def on_authorize_201(envelope: Envelope) -> dict:
    p = envelope.payload
    token = p["idToken"]
    auth = services.authorize(value=token["idToken"], at=received_at(envelope),
                              token_type=TOKEN_TYPE_201[IdTokenEnumType(token["type"])])
    answer = {"idTokenInfo": id_token_info_201(auth)}
    if "certificate" in p or "iso15118CertificateHashData" in p:
        answer["certificateStatus"] = CERTIFICATE_NOT_CHECKED.value
    return answer
