// libqrencode for Swift: the header imports as is (QRcode_encodeString, QRcode_free).
#ifndef CERTPORTAL_CQRENCODE_SHIM_H
#define CERTPORTAL_CQRENCODE_SHIM_H

#include <qrencode.h>

#endif
