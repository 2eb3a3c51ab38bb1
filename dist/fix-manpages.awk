# Tidies the mdoc pages swift-argument-parser's generate-manual writes, for man(1) and lintian:
# - NAME gives the page's own name (dispo.sim.init, as the file is named) so whatis/apropos find it, while the
#   SYNOPSIS keeps the command as typed (`dispo sim init`);
# - an empty line (a paragraph break in the help text) becomes .Pp, which mdoc wants;
# - a text line that starts with ' is escaped (roff would read it as a control line).
# Usage: awk -f fix-manpages.awk PAGE > FIXED
/^\.Sh / { section = $0 }
section == ".Sh NAME" && /^\.Nm "/ {
    name = $0
    sub(/^\.Nm "/, "", name); sub(/"$/, "", name)
    dotted = name; gsub(/ /, ".", dotted)
    print ".Nm " dotted
    next
}
/^\.Nm$/ && name != "" { print ".Nm \"" name "\""; next }
/^$/ { print ".Pp"; next }
/^'/ { print "\\&" $0; next }
{ print }
