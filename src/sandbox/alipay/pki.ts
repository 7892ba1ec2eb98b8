import { randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { keyPairFromPem, startKeyPairs, type KeyPair } from '../keys.js';
import { savedObject, savedString } from '../state-dir.js';
import { signCertificate } from '../wire/x509.js';
import { certificateSn, rootBundleSn } from './sn.js';

/**
 * Keys and certificates of the simulated Alipay: the merchant app keys it hands out, its own
 * "Alipay" key, and a certificate-mode PKI (root → Alipay cert, root → app cert). New at every start
 * unless a state dir keeps them. node-forge only assembles certificates; every signature, theirs
 * included, is made by node:crypto.
 */

/**
 * A root that is not RSA-signed (ecdsa-with-SHA384 on P-256, like Ant Financial's E1 root): the
 * `alipay_root_cert_sn` filter must skip it. forge cannot create EC certificates, so it was made
 * once with the openssl CLI and frozen here (test/fixtures/alipay-sim/make-vectors.sh):
 *   openssl ecparam -name prime256v1 -genkey -noout -out ec-key.pem
 *   openssl req -new -key ec-key.pem \
 *     -subj '/C=CN/O=paymount sandbox/OU=Certification Authority/CN=paymount Sandbox Root E1'
 *   openssl ca -selfsign -md sha384 -startdate 20200101000000Z -enddate 20991231235959Z …  (serial 1F2E3D4C5B6A7988)
 * The private key was discarded.
 */
export const EC_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIICFDCCAbqgAwIBAgIIHy49TFtqeYgwCgYIKoZIzj0EAwMwbTELMAkGA1UEBhMC
Q04xGTAXBgNVBAoMEHBheW1vdW50IHNhbmRib3gxIDAeBgNVBAsMF0NlcnRpZmlj
YXRpb24gQXV0aG9yaXR5MSEwHwYDVQQDDBhwYXltb3VudCBTYW5kYm94IFJvb3Qg
RTEwIBcNMjAwMTAxMDAwMDAwWhgPMjA5OTEyMzEyMzU5NTlaMG0xCzAJBgNVBAYT
AkNOMRkwFwYDVQQKDBBwYXltb3VudCBzYW5kYm94MSAwHgYDVQQLDBdDZXJ0aWZp
Y2F0aW9uIEF1dGhvcml0eTEhMB8GA1UEAwwYcGF5bW91bnQgU2FuZGJveCBSb290
IEUxMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7woZzLcgiNCL6XPnpyfqLOEm
D4O0mdSa02AzT8170QrTWt/0t9bolhMjjqq6OsAT2HkXIORRCXmQnl1M8a63m6NC
MEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFIAm
mcq0pq6KDnHVwl75o3ngizE8MAoGCCqGSM49BAMDA0gAMEUCIEz+DPA6ujHXCN8z
RklfIQhjVecspzXkOe7xe4ZqHdKOAiEApzy4nDav6npjgp4QlOHFGG3JqkZ4fj7j
Nbph3GCvCyM=
-----END CERTIFICATE-----
`;

/**
 * A second RSA root signed with sha1WithRSAEncryption (like iTrusChina's G3 in Alipay's bundle), so
 * that `alipay_root_cert_sn` has two parts joined by `_`. Frozen from the same script:
 *   openssl ca -selfsign -md sha1 -startdate 20200101000000Z -enddate 20991231235959Z …
 *     subject '/C=CN/O=paymount sandbox/OU=China Trust Network/CN=paymount Sandbox Class 2 Root CA - G3'
 * Both frozen roots are valid from 2020 to 2099, like the generated ones, so fake clocks work.
 */
export const RSA_SHA1_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIDuzCCAqOgAwIBAgIRAMOhstTl9gcYKTpLXG1+j5AwDQYJKoZIhvcNAQEFBQAw
djELMAkGA1UEBhMCQ04xGTAXBgNVBAoMEHBheW1vdW50IHNhbmRib3gxHDAaBgNV
BAsME0NoaW5hIFRydXN0IE5ldHdvcmsxLjAsBgNVBAMMJXBheW1vdW50IFNhbmRi
b3ggQ2xhc3MgMiBSb290IENBIC0gRzMwIBcNMjAwMTAxMDAwMDAwWhgPMjA5OTEy
MzEyMzU5NTlaMHYxCzAJBgNVBAYTAkNOMRkwFwYDVQQKDBBwYXltb3VudCBzYW5k
Ym94MRwwGgYDVQQLDBNDaGluYSBUcnVzdCBOZXR3b3JrMS4wLAYDVQQDDCVwYXlt
b3VudCBTYW5kYm94IENsYXNzIDIgUm9vdCBDQSAtIEczMIIBIjANBgkqhkiG9w0B
AQEFAAOCAQ8AMIIBCgKCAQEA4c754FYVUKTCT/LfbxcPRXUNzvv1JAjJv8GPytAo
ZwKauO2pHnpSRTm1kUIXk6StxXKXJVJ6iZZdWdTj7DfD+TkVM4v/utIeGk13GefB
6hi9lZdNhj3lI2WMHMNEeenONrmgXIwKRX/BliekyaBdYSuWhB+DJt3HAoDqIrJU
j9zMjuNBKPVsm8UllmGaNDT3gr/ONgPLBGJikjZx3KJxUAdkwPz+5cgAyJiZd8ZC
kpiukBScY3KTxZEcLSbK4NvXVncsTiMd7ErHOOVjGZRtZ0bWqX4hNMYNq56pucBn
1ZjdaSErUZ9lwk7EQkWMSeL0kWmq87mvJX+lPU//icn42wIDAQABo0IwQDAPBgNV
HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUN6+t37Ld0tS0
VduOGqzevqiMAv8wDQYJKoZIhvcNAQEFBQADggEBAEmHR/umwfkopEQVcoDCskV/
yGYFypILWgN1GiaMX5D4TEwViRmahXAAE5ajJ9rO57CokxIDPW2IxDCWbiVOybAO
noV9N2Gyl2kspJ93fEfL2Oi1DZpwyEOG0bq1wVdy7ngrT5cb1O9/uzGJ5B1htb8W
9moX7nI85SVXCaUM1Tcht9T/mETfWfs5ku8n47V1Qdi9o0/bguK6tEwWjZVhdYWN
e9uALty8PjzExwgGCgTXP8SP9pSQ7D7vk6huj3GpcEb6aNOaC4bEnOStUY1YF/Tc
JxW/7ZX59JJPiytKMec2ijaF1WQe6Q9XRovDWywkHnLoWXtm67n75zJd2kfBbyE=
-----END CERTIFICATE-----
`;

/** An RSA-2048 key pair, with the PEM forms handed to merchants. */
export type SimKeyPair = KeyPair;

/** Everything the simulator signs and verifies with. */
export interface SimPki {
  /** Public-key mode app: the merchant's key pair (the simulator keeps only what it needs). */
  app: SimKeyPair;
  /** The "Alipay" key pair of the public-key mode app: a different pair from the app's. */
  alipay: SimKeyPair;
  /** Certificate mode app. */
  certApp: SimKeyPair;
  /** The key inside the Alipay public-key certificate. */
  alipayCertKey: SimKeyPair;
  appCertPem: string;
  alipayCertPem: string;
  rootBundlePem: string;
  appCertSn: string;
  alipayCertSn: string;
  rootCertSn: string;
}

/**
 * What a state dir keeps of the simulated Alipay: the private keys (PKCS#8 PEM) and the three
 * certificate files handed to the certificate-mode merchant. The rest is derived from them.
 */
export interface AlipayIdentity {
  appKey: string;
  alipayKey: string;
  certAppKey: string;
  alipayCertKey: string;
  appCert: string;
  alipayCert: string;
  rootBundle: string;
}

type Dn = { shortName: string; value: string }[];

const ROOT_DN: Dn = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'paymount sandbox' },
  { shortName: 'OU', value: 'Certification Authority' },
  { shortName: 'CN', value: 'paymount Sandbox Root R1' },
];

/** A positive serial (first byte below 0x80) of 16 random bytes, as forge wants it: hex. */
function serialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes.readUInt8(0) & 0x3f) | 0x10;
  return bytes.toString('hex');
}

function makeCertificate(subject: Dn, keys: KeyPair, issuerKey: KeyObject, ca: boolean): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serialHex();
  // A wide validity window: tests move the clock freely.
  cert.validity.notBefore = new Date('2020-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2099-12-31T23:59:59Z');
  cert.setSubject(subject);
  cert.setIssuer(ROOT_DN);
  cert.setExtensions(
    ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ],
  );
  signCertificate(cert, issuerKey);
  // forge writes CRLF line ends; PEM files from Alipay use LF.
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/**
 * A new identity: the process's start keys (see {@link startKeyPairs}) under new certificates.
 * The root's key signs the two certificates and is then dropped, like a CA's that merchants never see.
 */
export async function newAlipayIdentity(certAppId: string): Promise<AlipayIdentity> {
  const [app, alipay, certApp, alipayCertKey, root] = (await startKeyPairs('alipay', 5)) as [
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
  ];
  const rootPem = makeCertificate(ROOT_DN, root, root.privateKey, true);
  const alipayCert = makeCertificate(
    [
      { shortName: 'C', value: 'CN' },
      { shortName: 'O', value: 'paymount sandbox' },
      { shortName: 'OU', value: 'Alipay' },
      { shortName: 'CN', value: 'Alipay Sandbox RSA2 Certificate' },
    ],
    alipayCertKey,
    root.privateKey,
    false,
  );
  const appCert = makeCertificate(
    [
      { shortName: 'C', value: 'CN' },
      { shortName: 'O', value: 'paymount sandbox merchant' },
      { shortName: 'OU', value: 'Alipay' },
      { shortName: 'CN', value: certAppId },
    ],
    certApp,
    root.privateKey,
    false,
  );
  return {
    appKey: app.privatePem,
    alipayKey: alipay.privatePem,
    certAppKey: certApp.privatePem,
    alipayCertKey: alipayCertKey.privatePem,
    appCert,
    alipayCert,
    // Same shape as Alipay's alipayRootCert.crt: a non-RSA root first, then RSA roots.
    rootBundle: EC_ROOT_PEM + rootPem + RSA_SHA1_ROOT_PEM,
  };
}

/** Checks a saved identity's shape (a state dir file). */
export function readAlipayIdentity(saved: unknown): AlipayIdentity {
  const record = savedObject(saved, 'identity');
  const field = (name: keyof AlipayIdentity) => savedString(record, name, 'identity');
  return {
    appKey: field('appKey'),
    alipayKey: field('alipayKey'),
    certAppKey: field('certAppKey'),
    alipayCertKey: field('alipayCertKey'),
    appCert: field('appCert'),
    alipayCert: field('alipayCert'),
    rootBundle: field('rootBundle'),
  };
}

/** The keys and serial numbers the simulator works with, from an identity. */
export function alipayPki(identity: AlipayIdentity): SimPki {
  return {
    app: keyPairFromPem(identity.appKey),
    alipay: keyPairFromPem(identity.alipayKey),
    certApp: keyPairFromPem(identity.certAppKey),
    alipayCertKey: keyPairFromPem(identity.alipayCertKey),
    appCertPem: identity.appCert,
    alipayCertPem: identity.alipayCert,
    rootBundlePem: identity.rootBundle,
    appCertSn: certificateSn(identity.appCert),
    alipayCertSn: certificateSn(identity.alipayCert),
    rootCertSn: rootBundleSn(identity.rootBundle),
  };
}

/** Generates the simulator's keys and certificate-mode PKI. */
export async function createPki(certAppId: string): Promise<SimPki> {
  return alipayPki(await newAlipayIdentity(certAppId));
}
