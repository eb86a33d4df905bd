// The HTML report's inline style and script; the Content-Security-Policy allows exactly these, by hash.

extension HTMLReport {
  // MARK: - Style and script

  static let css = """
    :root{--fg:#1d232a;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--accent:#2f6db5;--slow:#c2412d;--soft:#f4f6f8}
    *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
    header{padding:12px 20px;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:2}
    h1{font-size:20px;margin:0}.sub{margin:2px 0 6px;color:var(--muted)}nav a{margin-right:12px;color:var(--accent);text-decoration:none}
    main{padding:0 20px 40px;max-width:1400px}h2{margin-top:28px;border-bottom:1px solid var(--line);padding-bottom:4px}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
    .card{background:var(--soft);border-radius:6px;padding:10px}.card b{display:block;font-size:20px}.card span{color:var(--muted)}
    .chart{width:100%;height:auto;background:var(--soft);border-radius:6px}.bar{fill:#9db9d8}.bar.slow{fill:var(--slow)}
    .p95{fill:none;stroke:#1d232a;stroke-width:1.5}.axis{font-size:11px;fill:var(--muted)}.axis.end{text-anchor:end}.axis.mid,.axis.title{text-anchor:middle}
    .grid{stroke:var(--line);stroke-width:0.5}.tick{stroke:var(--muted)}
    .legend{color:var(--muted)}.key{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px}.key.all{background:#9db9d8}
    .key.slow{background:var(--slow)}.key.p95{background:#1d232a;height:2px}
    .tops{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}.top ol{padding-left:20px}.top li{margin-bottom:6px}
    table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
    th{background:var(--soft);position:sticky;top:0}table.sortable th{cursor:pointer}td[data-v]{text-align:right;white-space:nowrap}
    .scroll{overflow-x:auto}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{white-space:pre-wrap;background:var(--soft);padding:8px;border-radius:4px}
    .sql .k{color:#7a3e9d;font-weight:600}.sql .s{color:#2d7a3e}.sql .p{color:#b35c00}.sql .c{color:var(--muted)}
    .spark{width:80px;height:18px}.detail .spark{width:320px;height:40px}.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.2}
    details{border-bottom:1px solid var(--line);padding:6px 0}summary{cursor:pointer}.figures td,.figures th{text-align:right}
    .suggestion{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:10px 0}.badge{display:inline-block;padding:0 6px;border-radius:8px;background:var(--soft);font-size:12px}
    .badge.write-heavy,.badge.breaks-hot{background:#fde2dc;color:var(--slow)}.badge.note{background:#fff3c4}.cost,.note,.hint,.seen{color:var(--muted)}
    input[type=search]{padding:5px 8px;width:min(420px,100%);border:1px solid var(--line);border-radius:4px}
    @media (max-width:700px){main{padding:0 10px 30px}header{position:static}td:nth-child(6),th:nth-child(6),td:nth-child(9),th:nth-child(9){display:none}}
    @media print{header{position:static}nav,#filter,.hint{display:none}details>*{display:block}th{position:static}a{color:inherit}}
    """

  static let script = """
    (function(){
    function val(cell,numeric){return numeric?parseFloat(cell.getAttribute('data-v')||'0'):cell.textContent.toLowerCase();}
    document.querySelectorAll('table.sortable').forEach(function(table){
      table.querySelectorAll('th').forEach(function(th,col){
        th.addEventListener('click',function(){
          var numeric=th.hasAttribute('data-numeric');var asc=th.getAttribute('data-sort')!=='asc';
          table.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-sort');});th.setAttribute('data-sort',asc?'asc':'desc');
          var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
          rows.sort(function(a,b){var x=val(a.cells[col],numeric),y=val(b.cells[col],numeric);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
          rows.forEach(function(r){body.appendChild(r);});
        });
      });
    });
    var filter=document.getElementById('filter');
    if(filter){filter.addEventListener('input',function(){
      var q=filter.value.toLowerCase();
      document.querySelectorAll('#query-table tbody tr').forEach(function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});
    });}
    })();
    """
}
