// SPDX-License-Identifier: BSD-3-Clause
// Internal: the close reason clients see for an oversized frame.
#ifndef LIVESTORE_CLOSEREASON_P_H
#define LIVESTORE_CLOSEREASON_P_H

namespace LiveStore {

// The text the real server (workerd) sends with close code 1009.
inline constexpr char TooLargeCloseReason[] = "Message is too large";

// QWebSocket enforces our frame limit itself, closing with 1009 as it should, but with its own
// reason texts ("Received message is too big.", "Maximum framesize exceeded."). Those texts go
// through tr(), so a translator that maps exactly these two source texts gives clients workerd's
// wording without giving up QWebSocket's early check (it refuses a frame from its header, before
// buffering the payload). Installed once per application; it translates nothing else.
void installCloseReasonTranslator();

} // namespace LiveStore

#endif // LIVESTORE_CLOSEREASON_P_H
