_exportctl_completion() {
    local IFS=$' \t\n'
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    local cword=$(( ${#words[@]} - 1 ))
    [[ "$line" =~ [[:space:]]$ ]] && cword=${#words[@]}
    local word="${words[cword]}"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local prefix="${word%"$cur"}"
    IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="$line" COMP_CWORD="$cword" _EXPORTCTL_COMPLETE=complete_bash \
        "${COMP_WORDS[0]}" 2>/dev/null ) )
    [[ -n "$prefix" ]] && COMPREPLY=( "${COMPREPLY[@]#"$prefix"}" )
    # Inside a comma list or after `=`, more may follow: no space after the completed item.
    [[ "$word" == *[,=]* ]] && compopt -o nospace
    # A filter's field is followed by its operator, a prefix (`address.`) by its sub-field: no space either.
    local prev=""
    (( cword > 0 )) && prev="${words[cword-1]}"
    [[ "$prev" == "--filter" || "$prev" == "-F" || "$word" == --filter=* ]] && compopt -o nospace
    [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *. ]] && compopt -o nospace
    # Values from a closed set are never file names: no file listing when none matches.
    case "$prev" in
        --profile|--region|--fields|-f|--order|--filter|-F|--junction|--headers|--format|--unparsed|--split-by|--cursor)
            compopt +o default ;;
    esac
    return 0
}

complete -o default -F _exportctl_completion exportctl
