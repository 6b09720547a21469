// SPDX-License-Identifier: BSD-3-Clause
#include "closereason_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtranslator.h>
#include <QtCore/qvariant.h>

namespace LiveStore {

namespace {

class CloseReasonTranslator : public QTranslator
{
public:
    using QTranslator::QTranslator;

    QString translate(const char *context, const char *sourceText, const char *disambiguation,
                      int n) const override
    {
        Q_UNUSED(context);
        Q_UNUSED(disambiguation);
        Q_UNUSED(n);
        if (qstrcmp(sourceText, "Received message is too big.") == 0
            || qstrcmp(sourceText, "Maximum framesize exceeded.") == 0)
            return QString::fromLatin1(TooLargeCloseReason);
        return {};
    }

    bool isEmpty() const override { return false; }
};

} // namespace

void installCloseReasonTranslator()
{
    auto *app = QCoreApplication::instance();
    if (!app || app->property("_livestore_close_reasons").toBool())
        return;
    app->setProperty("_livestore_close_reasons", true);
    QCoreApplication::installTranslator(new CloseReasonTranslator(app));
}

} // namespace LiveStore
