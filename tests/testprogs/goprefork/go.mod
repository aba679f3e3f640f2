module goprefork

go 1.19
