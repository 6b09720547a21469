// SPDX-License-Identifier: BSD-3-Clause
#include <rowdiff_p.h>

#include <QtCore/qrandom.h>

#include <algorithm>
#include <random>
#include <QtTest/qtest.h>

using namespace LiveStore;
using namespace Qt::StringLiterals;

namespace {

QList<QString> keys(const char *letters)
{
    QList<QString> out;
    for (const char *c = letters; *c; ++c)
        out.append(QString(QLatin1Char(*c)));
    return out;
}

QList<RowOperation> diff(const QList<QString> &a, const QList<QString> &b)
{
    return diffRows(a, b, [](int, int) { return QList<int>(); });
}

int countOf(const QList<RowOperation> &ops, RowOperation::Kind kind)
{
    return int(std::count_if(ops.cbegin(), ops.cend(), [kind](const RowOperation &o) { return o.kind == kind; }));
}

} // namespace

class tst_RowDiff : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fewestOperations_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<int>("removes");
        QTest::addColumn<int>("inserts");
        QTest::addColumn<int>("moves");
        QTest::newRow("same") << u"abcd"_s << u"abcd"_s << 0 << 0 << 0;
        QTest::newRow("append") << u"abc"_s << u"abcd"_s << 0 << 1 << 0;
        QTest::newRow("prepend run") << u"cd"_s << u"abcd"_s << 0 << 1 << 0;
        QTest::newRow("insert middle") << u"ad"_s << u"abcd"_s << 0 << 1 << 0;
        QTest::newRow("remove run") << u"abcde"_s << u"ae"_s << 1 << 0 << 0;
        QTest::newRow("remove two runs") << u"abcde"_s << u"bd"_s << 3 << 0 << 0;
        QTest::newRow("first to last") << u"abcde"_s << u"bcdea"_s << 0 << 0 << 1;
        QTest::newRow("last to first") << u"abcde"_s << u"eabcd"_s << 0 << 0 << 1;
        QTest::newRow("swap") << u"abcde"_s << u"aecdb"_s << 0 << 0 << 2;
        QTest::newRow("reverse") << u"abcd"_s << u"dcba"_s << 0 << 0 << 3;
        QTest::newRow("mixed") << u"abcdef"_s << u"xfbcyd"_s << 2 << 2 << 1;
        QTest::newRow("clear") << u"abc"_s << QString() << 1 << 0 << 0;
        QTest::newRow("fill") << QString() << u"abc"_s << 0 << 1 << 0;
    }
    void fewestOperations()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(int, removes);
        QFETCH(int, inserts);
        QFETCH(int, moves);
        const QList<QString> a = keys(from.toLatin1().constData());
        const QList<QString> b = keys(to.toLatin1().constData());
        const QList<RowOperation> ops = diff(a, b);
        QCOMPARE(applyRowOperations(a, b, ops), b);
        QCOMPARE(countOf(ops, RowOperation::Remove), removes);
        QCOMPARE(countOf(ops, RowOperation::Insert), inserts);
        QCOMPARE(countOf(ops, RowOperation::Move), moves);
    }

    void changesAtFinalPositions()
    {
        const QList<QString> a = keys("abc");
        const QList<QString> b = keys("cab");
        const QList<RowOperation> ops = diffRows(a, b, [&](int oldRow, int newRow) {
            // "a" changed in column 2.
            return a.at(oldRow) == u"a"_s ? QList<int>{2} : QList<int>{};
        });
        QCOMPARE(ops.constLast().kind, RowOperation::Change);
        QCOMPARE(ops.constLast().first, 1); // "a" ends at row 1
        QCOMPARE(ops.constLast().columns, QList<int>{2});
    }

    void randomized()
    {
        QRandomGenerator rng(12345);
        for (int round = 0; round < 2000; ++round) {
            QList<QString> a, b;
            const int n = rng.bounded(0, 12);
            for (int i = 0; i < n; ++i)
                a.append(QString::number(i));
            b = a;
            std::shuffle(b.begin(), b.end(), std::mt19937(rng.generate()));
            b.resize(rng.bounded(0, int(b.size()) + 1));
            for (int i = rng.bounded(0, 4); i > 0; --i)
                b.insert(rng.bounded(0, int(b.size()) + 1), u"n%1"_s.arg(i));
            const QList<RowOperation> ops = diff(a, b);
            QCOMPARE(applyRowOperations(a, b, ops), b);
            // Every move is needed: no more moves than kept rows outside a longest common order.
            int kept = 0;
            for (const QString &k : std::as_const(b))
                kept += a.contains(k) ? 1 : 0;
            QVERIFY(countOf(ops, RowOperation::Move) <= std::max(0, kept - 1));
        }
    }
};

QTEST_GUILESS_MAIN(tst_RowDiff)
#include "tst_rowdiff.moc"
