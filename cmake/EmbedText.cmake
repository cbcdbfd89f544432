# cmake -P script: writes OUTPUT defining `std::string_view crisisline::embedded::SYMBOL`.
file(READ ${INPUT} content)
set(delim "crisisline_embed")
file(WRITE ${OUTPUT} "#include <string_view>\nnamespace crisisline::embedded {\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} = R\"${delim}(${content})${delim}\";\n}\n")
