// SPDX-License-Identifier: BSD-3-Clause
// Runs Qt's qmllint on our QML as a user's tools see it: every .qml file under examples/, and each
// ```qml block of README.md and docs/*.md that is a whole file (it has an import line), against
// the module this build made. Any warning fails, with qmllint's own output.
#include <QtCore/qdir.h>
#include <QtCore/qdiriterator.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace Qt::StringLiterals;

namespace {

struct CodeBlock
{
    QString name; // file and line, for the test row
    QString text;
};

// The ```qml blocks of a Markdown file that are whole QML files: imports and a root object.
QList<CodeBlock> wholeFileBlocks(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    static const QRegularExpression importLine(u"^import\\s+\\S"_s);
    static const QRegularExpression rootObject(u"^[A-Z][A-Za-z0-9_.]*\\s*\\{"_s);
    QList<CodeBlock> blocks;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (!lines.at(i).startsWith(u"```qml"_s))
            continue;
        const qsizetype first = i + 1;
        qsizetype end = first;
        while (end < lines.size() && !lines.at(end).startsWith(u"```"_s))
            ++end;
        const QStringList body = lines.mid(first, end - first);
        auto has = [&body](const QRegularExpression &re) {
            return std::any_of(body.begin(), body.end(), [&re](const QString &l) { return re.match(l).hasMatch(); });
        };
        if (has(importLine) && has(rootObject))
            blocks.append({u"%1:%2"_s.arg(QFileInfo(path).fileName()).arg(first + 1), body.join(u'\n') + u'\n'});
        i = end;
    }
    return blocks;
}

} // namespace

class tst_QmlLint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(QStringLiteral(LIVESTORE_QMLLINT)),
                 "qmllint not found: install qt6-declarative-dev-tools (.ci/install-deps does)");
        QVERIFY(m_blocksDir.isValid());
    }

    void lint_data()
    {
        QTest::addColumn<QString>("path");
        const QDir source(QStringLiteral(LIVESTORE_SOURCE_DIR));
        int examples = 0;
        QDirIterator it(source.filePath(u"examples"_s), {u"*.qml"_s}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QTest::newRow(qPrintable(source.relativeFilePath(path))) << path;
            ++examples;
        }
        QVERIFY2(examples >= 5, "the examples' QML files were not found");

        QStringList documents{source.filePath(u"README.md"_s)};
        const QDir docs(source.filePath(u"docs"_s));
        for (const QString &name : docs.entryList({u"*.md"_s}, QDir::Files, QDir::Name))
            documents.append(docs.filePath(name));
        int blocks = 0;
        for (const QString &document : std::as_const(documents)) {
            for (const CodeBlock &block : wholeFileBlocks(document)) {
                // A file of its own, named after where it came from (qmllint reads the file name
                // as the component's name, so it must start with a letter).
                QString fileName = u"Block_"_s + block.name;
                fileName.replace(QRegularExpression(u"[^A-Za-z0-9_]"_s), u"_"_s);
                const QString path = m_blocksDir.filePath(fileName + u".qml"_s);
                QFile out(path);
                QVERIFY(out.open(QIODevice::WriteOnly));
                out.write(block.text.toUtf8());
                QTest::newRow(qPrintable(block.name)) << path;
                ++blocks;
            }
        }
        QVERIFY2(blocks >= 2, "the README's and docs' whole-file QML blocks were not found");
    }

    void lint()
    {
        QFETCH(QString, path);
        QProcess qmllint;
        qmllint.setProcessChannelMode(QProcess::MergedChannels);
        qmllint.start(QStringLiteral(LIVESTORE_QMLLINT), {u"-I"_s, QStringLiteral(LIVESTORE_QML_IMPORT_DIR), path});
        QVERIFY2(qmllint.waitForFinished(120'000), qPrintable(qmllint.errorString()));
        const QString output = QString::fromUtf8(qmllint.readAll());
        QVERIFY2(qmllint.exitStatus() == QProcess::NormalExit && qmllint.exitCode() == 0
                         && !output.contains(u"Warning:"_s),
                 qPrintable(u"qmllint reports:\n"_s + output));
    }

private:
    QTemporaryDir m_blocksDir;
};

QTEST_GUILESS_MAIN(tst_QmlLint)
#include "tst_qmllint.moc"
