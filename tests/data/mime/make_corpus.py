"""Writes the corpus tests/data/mime/*.eml (run with Debian's /usr/bin/python3).

Encodings are computed with Python's codecs, so the bytes do not come from the code
under test. Not run by the tests: the .eml files and the expected values in
tests/unit/mime/corpus_test.cpp are committed. python_crosscheck.py prints how Python's
email package decodes the same files.
"""
import base64, quopri, os
OUT = os.path.dirname(os.path.abspath(__file__))

def b64w(text, cs):
    return '=?%s?B?%s?=' % (cs, base64.b64encode(text.encode(cs)).decode())
def qw(text, cs):
    raw = text.encode(cs)
    out = ''
    for b in raw:
        c = chr(b)
        if c.isalnum() and b < 128: out += c
        elif c == ' ': out += '_'
        else: out += '=%02X' % b
    return '=?%s?Q?%s?=' % (cs, out)
def b64body(data):
    s = base64.b64encode(data).decode()
    return '\r\n'.join(s[i:i+76] for i in range(0, len(s), 76)) + '\r\n'
def write(name, parts, eol='\r\n'):
    data = b''
    for p in parts:
        if isinstance(p, str):
            p = p.replace('\r\n', '\n')
            if eol == '\r\n': p = p.replace('\n', '\r\n')
            p = p.encode('ascii')
        data += p
    open(os.path.join(OUT, name), 'wb').write(data)

# 1. GB2312 newsletter
subj = b64w('季度报告', 'gb2312')
frm = b64w('市场部', 'gb2312')
plain = '各位同事：\n第三季度销售额增长百分之十二。\n'.replace('\n', '\r\n').encode('gb2312')
html = '<html><body><p>各位同事：</p><p>第三季度销售额增长百分之十二。</p></body></html>\r\n'.encode('gb2312')
write('gb2312_newsletter.eml', [
f'''Return-Path: <news@example.cn>
Received: from mail.example.cn (mail.example.cn [203.0.113.5])
\tby mx.letterhead.test with ESMTPS id 4F2A1
\tfor <staff@letterhead.test>; Mon, 7 Oct 2024 09:30:12 +0800
From: "{frm}" <news@example.cn>
To: staff@letterhead.test
Subject: {subj}
Date: Mon, 7 Oct 2024 09:30:00 +0800
Message-ID: <20241007093000.1234@example.cn>
MIME-Version: 1.0
Content-Type: multipart/alternative;
\tboundary="----=_NextPart_000_0001_01DB1858.5C2E3A40"
X-Mailer: Foxmail 7.2

This is a multi-part message in MIME format.

------=_NextPart_000_0001_01DB1858.5C2E3A40
Content-Type: text/plain;
\tcharset="gb2312"
Content-Transfer-Encoding: base64

''', b64body(plain), '''
------=_NextPart_000_0001_01DB1858.5C2E3A40
Content-Type: text/html;
\tcharset="gb2312"
Content-Transfer-Encoding: base64

''', b64body(html), '''
------=_NextPart_000_0001_01DB1858.5C2E3A40--
'''])

# 2. GBK quoted-printable; subject split mid-character across two Q words.
gbk_subject_bytes = '朱镕基访谈录'.encode('gbk')
w1 = gbk_subject_bytes[:5]; w2 = gbk_subject_bytes[5:]   # split inside the third character
def qbytes(bs): return ''.join('=%02X' % b for b in bs)
subj = f'=?GBK?Q?{qbytes(w1)}?=\n =?GBK?Q?{qbytes(w2)}?='
body_text = '镕字不在GB2312里，但在GBK里。\r\n第二行：温度 25℃。\r\n'
qp = quopri.encodestring(body_text.encode('gbk')).decode().replace('\r\n', '\n').replace('\n', '\r\n')
write('gbk_quoted_printable.eml', [
f'''From: =?GBK?B?{base64.b64encode('编辑部'.encode('gbk')).decode()}?= <editor@example.com.cn>
To: reader@letterhead.test
Subject: {subj}
Date: Tue, 8 Oct 2024 14:05:33 +0800
Message-ID: <gbk-qp-1@example.com.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=GBK
Content-Transfer-Encoding: quoted-printable

''', qp])

# 3. Big5, 8bit body
write('big5.eml', [
f'''From: {b64w('王小明', 'big5')} <ming@example.com.tw>
To: team@letterhead.test
Subject: {b64w('會議通知', 'big5')}
Date: Wed, 9 Oct 2024 10:00:00 +0800
Message-ID: <big5-1@example.com.tw>
MIME-Version: 1.0
Content-Type: text/plain; charset=big5
Content-Transfer-Encoding: 8bit

''', '明天下午三點開會，請準時出席。\r\n'.encode('big5')])

# 4. ISO-2022-JP, 7bit
jp_body = '会議のお知らせです。\r\nよろしくお願いします。\r\n'.encode('iso2022_jp')
write('iso2022jp.eml', [
f'''From: {b64w('山田太郎', 'iso-2022-jp')} <yamada@example.co.jp>
To: all@letterhead.test
Subject: {b64w('会議のお知らせ', 'iso-2022-jp')}
Date: Thu, 10 Oct 2024 11:22:33 +0900
Message-ID: <jp-1@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

''', jp_body])

# 5. Shift_JIS with NEC extension (circled digit, cp932)
sjis_body = '①売上報告\r\n②来期計画\r\n'.encode('cp932')
write('shift_jis.eml', [
f'''From: sales@example.jp
To: boss@letterhead.test
Subject: =?shift_jis?B?{base64.b64encode('売上報告'.encode('shift_jis')).decode()}?=
Date: Fri, 11 Oct 2024 08:00:00 +0900
MIME-Version: 1.0
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit

''', sjis_body])

# 6. windows-1252 quoted-printable
w_body = 'Price: 20€ – “special” offer\r\nCafé ready.\r\n'
write('windows1252.eml', [
f'''From: =?windows-1252?Q?Ren=E9e_M=FCller?= <renee@example.de>
To: shop@letterhead.test
Subject: =?windows-1252?Q?Caf=E9_=93special=94_offer?=
Date: Sat, 12 Oct 2024 16:45:00 +0200
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1252
Content-Transfer-Encoding: quoted-printable

''', quopri.encodestring(w_body.encode('cp1252')).decode().replace('\r\n','\n')])

# 7. ISO-8859-1 8bit body
write('latin1.eml', [
'''From: =?iso-8859-1?q?J=F6rg?= <joerg@example.de>
To: freunde@letterhead.test
Subject: =?iso-8859-1?q?Gr=FC=DFe_aus_K=F6ln?=
Date: Sun, 13 Oct 2024 18:00:00 +0200
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

''', 'Viele Grüße aus Köln, bis bald!\r\n'.encode('latin-1')])

# 8. UTF-8 raw headers (RFC 6532)
write('utf8_raw_headers.eml', [
b'From: \xe5\xbc\xa0\xe4\xb8\x89 <zhangsan@xn--fsqu00a.xn--fiqs8s>\r\n'.replace(b'xn--fsqu00a.xn--fiqs8s', '例子.中国'.encode()),
'To: "李四" <李四@example.com>, 王五 <wangwu@example.com>\r\n'.encode('utf-8'),
'Subject: 你好，世界 — greetings\r\n'.encode('utf-8'),
b'''Date: Mon, 14 Oct 2024 09:00:00 +0800
Message-ID: <utf8-raw-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

'''.replace(b'\n', b'\r\n'),
'这是一封使用原始 UTF-8 头部的邮件。\r\n'.encode('utf-8')])

# 9. multipart/mixed > alternative + attachments with RFC 2231 file names
pdf = b'%PDF-1.4\n% fake pdf\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n'
fn = '报告.pdf'.encode('utf-8')
fn_pct = ''.join('%%%02X' % b for b in fn)
long_name = '第三季度销售数据汇总表.xlsx'.encode('utf-8')
lp = ''.join('%%%02X' % b for b in long_name)
half = 36  # split between two percent-escapes (multiple of 3 chars)
xlsx = b'PK\x03\x04fake-xlsx-content\x00\x01\x02'
doc = b'\xd0\xcf\x11\xe0fake-doc'
outlook_name = b64w('合同草案.doc', 'gb2312')
write('mixed_attachments.eml', [
f'''From: Li Lei <lilei@example.com>
To: Han Meimei <hanmeimei@letterhead.test>
Subject: =?UTF-8?B?{base64.b64encode('季度材料'.encode()).decode()}?=
Date: Tue, 15 Oct 2024 10:10:10 +0800
Message-ID: <mixed-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-boundary-1"

--outer-boundary-1
Content-Type: multipart/alternative; boundary="inner-boundary-2"

--inner-boundary-2
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

''', b64body('请查收附件。\r\n'.encode()), '''
--inner-boundary-2
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

''', quopri.encodestring('<p>请查收附件。</p>\r\n'.encode()).decode().replace('\r\n','\n'), f'''
--inner-boundary-2--

--outer-boundary-1
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''{fn_pct}
Content-Transfer-Encoding: base64

''', b64body(pdf), f'''
--outer-boundary-1
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment;
 filename*0*=UTF-8''{lp[:half]};
 filename*1*={lp[half:]}
Content-Transfer-Encoding: base64

''', b64body(xlsx), f'''
--outer-boundary-1
Content-Type: application/msword; name="{outlook_name}"
Content-Disposition: attachment; filename="{outlook_name}"
Content-Transfer-Encoding: base64

''', b64body(doc), '''
--outer-boundary-1--
'''])

# 10. forwarded message/rfc822
write('forwarded_rfc822.eml', [
'''From: Alice <alice@example.org>
To: Bob <bob@letterhead.test>
Subject: Fwd: Budget
Date: Wed, 16 Oct 2024 12:00:00 +0000
Message-ID: <fwd-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-outer"

--fwd-outer
Content-Type: text/plain; charset=us-ascii

See the forwarded message below.

--fwd-outer
Content-Type: message/rfc822
Content-Description: Forwarded message

From: Carol <carol@example.net>
To: Alice <alice@example.org>
Subject: =?utf-8?Q?Budget_2025_=E2=80=93_draft?=
Date: Tue, 15 Oct 2024 08:00:00 -0700
Message-ID: <budget-draft@example.net>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner-alt"

--inner-alt
Content-Type: text/plain; charset=utf-8

Draft numbers attached.

--inner-alt
Content-Type: text/html; charset=utf-8

<p>Draft numbers attached.</p>

--inner-alt--

--fwd-outer--
'''])

# 11. multipart/digest
write('digest.eml', [
'''From: list-admin@example.org
To: subscriber@letterhead.test
Subject: Weekly digest, Vol 1, Issue 2
Date: Thu, 17 Oct 2024 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/digest; boundary="digest-b"

--digest-b

From: one@example.org
Subject: First post
Date: Mon, 14 Oct 2024 10:00:00 +0000

Hello from the first post.

--digest-b

From: two@example.org
Subject: Second post
Date: Tue, 15 Oct 2024 10:00:00 +0000

Hello from the second post.

--digest-b
Content-Type: text/plain

This part is explicitly text/plain.

--digest-b--
'''])

# 12. Outlook-style (Korean subject in ks_c_5601-1987, multipart/related, inline image)
gif = base64.b64decode('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=')
write('outlook.eml', [
f'''From: =?ks_c_5601-1987?B?{base64.b64encode('김철수'.encode('cp949')).decode()}?= <cs.kim@example.co.kr>
To: "Partner" <partner@letterhead.test>
Subject: =?ks_c_5601-1987?B?{base64.b64encode('회의 자료'.encode('cp949')).decode()}?=
Thread-Topic: =?ks_c_5601-1987?B?{base64.b64encode('회의 자료'.encode('cp949')).decode()}?=
Thread-Index: AdsgAbCdEfGhIjKlMnOpQrStUvWxYz==
Date: Fri, 18 Oct 2024 01:02:03 +0000
Message-ID: <SEYPR01MB1234567890ABCDEF@SEYPR01MB1234.apcprd01.prod.outlook.com>
Accept-Language: ko-KR, en-US
Content-Language: ko-KR
X-MS-Has-Attach: yes
MIME-Version: 1.0
Content-Type: multipart/related;
\tboundary="_004_SEYPR01MB1234567890ABCDEF_";
\ttype="text/html"

--_004_SEYPR01MB1234567890ABCDEF_
Content-Type: text/html; charset="ks_c_5601-1987"
Content-Transfer-Encoding: base64

''', b64body('<html><body><p>첨부 자료를 확인해 주세요.</p><img src="cid:image001.gif@01DB2100.ABCDEF10"></body></html>\r\n'.encode('cp949')), '''
--_004_SEYPR01MB1234567890ABCDEF_
Content-Type: image/gif; name="image001.gif"
Content-Description: image001.gif
Content-Disposition: inline; filename="image001.gif"; size=35;
\tcreation-date="Fri, 18 Oct 2024 01:02:03 GMT";
\tmodification-date="Fri, 18 Oct 2024 01:02:03 GMT"
Content-ID: <image001.gif@01DB2100.ABCDEF10>
Content-Transfer-Encoding: base64

''', b64body(gif), '''
--_004_SEYPR01MB1234567890ABCDEF_--
'''])

# 13. Apple Mail-style
write('apple_mail.eml', [
'''From: Tim Example <tim@example.com>
Content-Type: multipart/alternative;
\tboundary="Apple-Mail=_5E1B7E0A-1F3C-4D7E-9C35-2B6B7C8D9E0F"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: =?utf-8?Q?Caf=C3=A9_tomorrow=3F?=
Message-Id: <A1B2C3D4-E5F6-4789-ABCD-EF0123456789@example.com>
Date: Sat, 19 Oct 2024 20:15:00 -0700
To: friend@letterhead.test
X-Mailer: Apple Mail (2.3774.600.62)


--Apple-Mail=_5E1B7E0A-1F3C-4D7E-9C35-2B6B7C8D9E0F
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
\tcharset=utf-8

Shall we meet at the caf=C3=A9 tomorrow at 10? It=E2=80=99s on me =F0=9F=98=
=80

--Apple-Mail=_5E1B7E0A-1F3C-4D7E-9C35-2B6B7C8D9E0F
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
\tcharset=us-ascii

<html><head></head><body>Shall we meet tomorrow at 10?</body></html>
--Apple-Mail=_5E1B7E0A-1F3C-4D7E-9C35-2B6B7C8D9E0F--
'''])

# 14. Malformed: unterminated boundaries
write('unterminated_boundary.eml', [
'''From: broken@example.com
To: victim@letterhead.test
Subject: unterminated
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble text
--outer
Content-Type: multipart/alternative; boundary="outer-inner"

--outer-inner
Content-Type: text/plain

inner text without a close delimiter
--outer
Content-Type: text/plain

second outer part, and no final boundary at all
'''])

# 15. NUL bytes and junk header lines
write('nul_bytes.eml', [
b'From: nul@example.com\r\nSubject: has \x00 a NUL\r\nthis line has no colon\r\nX-Bin: \x00\x01\x02\xff\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\x00with NUL\r\nand \xff invalid utf-8\r\n'])

# 16. LF-only line ends
write('lf_only.eml', [
'''From: unix@example.com
To: someone@letterhead.test
Subject: LF only
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=lf

--lf
Content-Type: text/plain

first
--lf
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

5L2g5aW9
--lf--
'''], eol='\n')
print('ok')
