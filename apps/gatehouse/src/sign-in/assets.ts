/**
 * The pages' only stylesheet and only script, served from Gatehouse's own origin so the CSP
 * needs no 'unsafe-inline' (docs/sign-in.md#pages). The script only submits the form_post
 * response form; without JavaScript its button does the same.
 */
export const SIGN_IN_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24;background:#f3f4f6}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center}
header.brand{margin:2rem 0 1rem;font-weight:600;font-size:1.125rem}
header.brand img{max-height:48px;max-width:200px}
main{width:100%;max-width:26rem;background:#fff;border:1px solid #d0d5dd;border-radius:12px;padding:2rem 1.5rem;margin:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}
p{margin:.5rem 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.625rem .75rem;font-size:1rem;border:1px solid #667085;border-radius:8px;color:#1b1f24;background:#fff}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
button{display:inline-block;margin-top:1.25rem;padding:.625rem 1rem;font-size:1rem;font-weight:600;border-radius:8px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer;width:100%}
button.secondary{background:#fff;color:#1d4ed8}
.actions{display:flex;gap:.75rem}
.actions form{flex:1}
.error{color:#b42318;background:#fef3f2;border:1px solid #fda29b;border-radius:8px;padding:.5rem .75rem}
.muted{color:#475467;font-size:.875rem}
ul.scopes{padding-left:1.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;font-size:.875rem}
dt{font-weight:600}dd{margin:0;word-break:break-all}
a{color:#1d4ed8}
footer{margin:1.5rem 0;color:#475467;font-size:.875rem}
.logo{max-height:48px;max-width:160px}
`;

export const FORM_POST_JS = `document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('form-post');if(f)f.submit();});`;
