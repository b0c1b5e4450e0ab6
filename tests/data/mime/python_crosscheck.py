"""Prints how Python's email package decodes tests/data/mime/*.eml: the independent
implementation the expected values in tests/unit/mime/corpus_test.cpp were checked
against. Run with Debian's /usr/bin/python3; not run by the tests."""
import email, os, glob
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_tz, mktime_tz
D = os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(D+'/*.eml')):
    name=os.path.basename(path)
    raw=open(path,'rb').read()
    m=email.message_from_bytes(raw, policy=policy.compat32)
    print('=====', name)
    for h in ['Subject','From','To']:
        v=m.get(h)
        if v is None: continue
        try:
            if isinstance(v, email.header.Header): v=str(v)
            print(' ', h, '=>', repr(str(make_header(decode_header(v)))))
        except Exception as e:
            print(' ', h, 'ERR', e)
    d=m.get('Date')
    if d: 
        t=parsedate_tz(d); print('  Date =>', mktime_tz(t) if t else None, t[9] if t else None)
    for i,p in enumerate(m.walk()):
        ct=p.get_content_type()
        fn=p.get_filename()
        line='  part %d %s' % (i, ct)
        if fn: line+=' filename=%r' % (str(make_header(decode_header(fn))) if '=?' in fn else fn)
        if p.get_content_maintype()=='text':
            payload=p.get_payload(decode=True)
            cs=p.get_content_charset() or 'us-ascii'
            try: txt=payload.decode({'gb2312':'gb18030','ks_c_5601-1987':'cp949','shift_jis':'cp932'}.get(cs,cs), 'replace')
            except LookupError: txt='LOOKUPERR'
            line+=' text=%r' % txt
        print(line)
